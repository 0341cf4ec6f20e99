"""Will this compose project (or Dockerfile) come up here? `hostcheck preflight [PATH]`.

    compose.locate / compose.load      the project read by hostcheck (bounded files and YAML,
                                       interpolation, override files, extends, profiles)
    project.read_project               ... or by `docker compose config` / `docker-compose config`
                                       where one is installed (capture/compose.py runs it)
    dockerfile.parse                   a Dockerfile's stages, FROM platforms, RUN, EXPOSE
    subjects                           neutral facts of a service and of the project
    walk.preflight_trees               image trees, one `preflight` tree per service, and the
                                       `preflight-project` tree (rules/trees/preflight.yaml)
    cli.preflight                      the command
"""

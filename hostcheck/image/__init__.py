"""Will this image run here? Image platforms from four sources, an ELF scan of archives,
and the image decision tree (rules/trees/image.yaml) walked per image.

    platform.parse("linux/arm64")                       -> Platform
    platform.runs_natively(image_platform, host_platform)
    archive.read_archive(path)                          -> [ArchiveImage]  (offline, one pass)
    local.find_images(capture, refs)                    -> [(ref, LocalImage or None)]
    registry.recorded(capture, ref)                     -> RegistryAnswer (docker.registry[REF]
                                                           of the capture; never the network)
    judge.image_tree(facts, subject, platforms, ...)    -> walked tree (SPEC's `trees` item)
    report.host_image_trees(capture, facts, catalogue, lang)   (check / analyze)
    cli.image                                           `hostcheck image REF… [--archive FILE]…`
"""

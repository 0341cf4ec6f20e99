"""The facts a rule may read: one registry, and the container that carries them.

Facts are a flat mapping of dotted names to JSON values. A fact that could not be
read is absent from `values` and present in `unknown` with the reason (for example
"runc --version: not_found"); rules turn an unknown into `skip` with that reason,
never into a silent pass.

`FACTS` is the registry: every name a combiner may produce and a rule may read, with
its JSON type, a one-line meaning and its producer: the module of hostcheck/combine/ that
sets it (`hostcheck rules show ID --trace` follows it to the parsers and capture keys).
Contract tests check every side against it: each fact has exactly one producer, which
declares it; rules read only registered facts.
Types: str, int, bool, float, list, dict, "list[dict]", "list[str]".
"""

FACTS = {
    # --- host identity -----------------------------------------------------------
    "host.hostname": ("str", "uname nodename", "host"),
    "os.id": ("str", "os-release ID, lower case: kylin, openeuler, uos, centos, rhel, rocky, debian, ubuntu ...", "os_release"),
    "os.name": ("str", "pretty name (PRETTY_NAME, else NAME VERSION)", "os_release"),
    "os.version": ("str", "VERSION_ID, or the vendor release file's version (V10, 22.03, 7.9.2009)", "os_release"),
    "os.like": ("list[str]", "os-release ID_LIKE words", "os_release"),
    "os.family": ("str", "package family for remediation commands: rhel (yum/dnf) | debian (apt) | suse | other", "os_release"),
    "os.package_manager": ("str", "dnf | yum | apt | zypper | unknown", "os_release"),
    "os.codename": ("str", "VERSION_CODENAME or vendor codename (e.g. Lance for Kylin V10 SP1)", "os_release"),
    "os.service_pack": ("str", "vendor service pack: SP1/SP2/SP3 for Kylin V10 (Tercel/Sword/Lance), SP3 for openEuler 22.03 LTS-SP3", "os_release"),
    "privileges.root": ("bool", "capture ran with euid 0", "host"),
    "privileges.uid": ("int", "euid of the capture", "host"),
    # --- architecture ------------------------------------------------------------
    "arch.machine": ("str", "uname -m: x86_64, aarch64, loongarch64, mips64 ...", "arch"),
    "arch.platform": ("str", "OCI platform os/arch without variant: linux/amd64, linux/arm64", "arch"),
    "arch.architecture": ("str", "OCI architecture: amd64, arm64, arm, loong64, mips64le ...", "arch"),
    "arch.variant": ("str", "OCI variant or absent: v8 for arm64, v7 for armv7l", "arch"),
    "arch.page_size": ("int", "kernel page size in bytes (getconf PAGESIZE); 65536 on many arm64 Kylin/openEuler kernels", "arch"),
    "arch.loongarch_world": ("str", "loongarch64 only: old (ABI 1.0, vendor kernels < 5.19) | new (ABI 2.0, mainline); linux/loong64 images need new", "arch"),
    "cpu.vendor": ("str", "vendor from /proc/cpuinfo: GenuineIntel, AuthenticAMD, HygonGenuine, HiSilicon, Phytium, Loongson ...", "arch"),
    "cpu.model": ("str", "model name from /proc/cpuinfo", "arch"),
    # --- kernel ------------------------------------------------------------------
    "kernel.release": ("str", "uname -r as is: 4.19.90-24.4.v2101.ky10.aarch64", "kernel"),
    "kernel.version": ("str", "numeric prefix of the release, normalised: 4.19.90", "kernel"),
    "kernel.config": ("dict", "CONFIG_* -> y|m|value from /proc/config.gz or /boot/config-<release>", "kernel"),
    "kernel.config_source": ("str", "path the kernel configuration came from", "kernel"),
    "kernel.modules_supported": ("bool", "kernel built with CONFIG_MODULES (/proc/modules exists)", "kernel"),
    "kernel.modules": ("list[str]", "loaded module names from /proc/modules", "kernel"),
    "kernel.config_enabled": ("list[str]", "CONFIG_* options set to y or m (built in or a module) in the kernel configuration", "kernel"),
    "kernel.cmdline": ("list[str]", "words of /proc/cmdline: swapaccount=1, user_namespace.enable=1, cgroup_disable=memory ...", "kernel"),
    "kernel.max_user_namespaces": ("int", "/proc/sys/user/max_user_namespaces (0: user namespaces off, the EL7 default)", "kernel"),
    # --- binfmt_misc -------------------------------------------------------------
    "binfmt.mounted": ("bool", "binfmt_misc filesystem mounted at /proc/sys/fs/binfmt_misc", "binfmt"),
    "binfmt.automount": ("bool", "only systemd's autofs entry is there (mounted on first access, not read)", "binfmt"),
    "binfmt.enabled": ("bool", "/proc/sys/fs/binfmt_misc/status says enabled", "binfmt"),
    "binfmt.entries": ("list[dict]", "registered handlers: {name, enabled, interpreter, flags, offset, magic, mask, platform, persisted}; platform is the OCI platform its ELF magic serves (linux/arm64) or null; persisted: a file in /etc/binfmt.d, /usr/lib/binfmt.d or /var/lib/binfmts re-registers it at boot (null when those were not listed)", "binfmt"),
    "binfmt.platforms": ("list[str]", "OCI platforms served by enabled entries", "binfmt"),
    # --- runtimes ----------------------------------------------------------------
    "docker.client.version": ("str", "docker --version, as printed (20.10.24+dfsg1)", "runtimes"),
    "docker.client.podman_shim": ("bool", "`docker` is podman-docker's emulation (prints 'podman version')", "runtimes"),
    "docker.client.series": ("str", "major.minor of the docker client: 20.10, 24.0", "runtimes"),
    "docker.dockerd.version": ("str", "dockerd version: engine /version, else dockerd --version", "runtimes"),
    "runtimes.containerd.version": ("str", "containerd version: engine Components, else containerd --version", "runtimes"),
    "runtimes.runc.version": ("str", "runc version string as printed: 1.1.5+ds1, 1.0.0-rc95", "runtimes"),
    "runtimes.runc.commit": ("str", "runc commit line: 1.1.5+ds1-1+deb12u1, v1.1.12-0-g51d5e94", "runtimes"),
    "runtimes.runc.changelog_cves": ("list[str]", "CVE ids the runc package changelog names (deb changelog, or rpm -qf --changelog /usr/bin/runc: docker-runc on openEuler/Kylin); unknown for containerd.io, an upstream build", "changelogs"),
    "runtimes.runc.changelog_source": ("str", "where the changelog came from; absent when there is none", "changelogs"),
    "runtimes.containerd.changelog_cves": ("list[str]", "CVE ids the containerd package changelog names (changelog.Debian.gz, or rpm -qf --changelog /usr/bin/containerd: docker-engine on openEuler/Kylin); unknown for containerd.io, an upstream build", "changelogs"),
    "runtimes.containerd.changelog_source": ("str", "where the containerd changelog came from; absent when there is none", "changelogs"),
    "runtimes.docker_runc.installed": ("bool", "docker-runc is installed: a docker-runc binary on PATH (Docker 17.x) or the rpm package docker-runc (Kylin V10 / openEuler's runc for their docker-engine, which installs /usr/bin/runc); unknown when not probed", "runtimes"),
    "runtimes.docker_runc.version": ("str", "docker-runc --version's runc version (1.0.0-rc3), else the docker-runc rpm's version-release (1.0.0.rc3-103.oe1)", "runtimes"),
    "runtimes.runc.package": ("str", "package that ships runc: runc (Debian changelog), else the rpm owner of /usr/bin/runc: docker-runc (openEuler, Kylin), containerd.io (docker-ce), runc", "docker_installs"),
    "runtimes.runc.package_version": ("str", "that package's version: Debian's (1.1.5+ds1-1+deb12u1) or rpm's version-release (1.0.0.rc3-310.oe2203)", "docker_installs"),
    "runtimes.containerd.package": ("str", "package that ships containerd: containerd (Debian changelog), else the rpm owner of /usr/bin/containerd: docker-engine (openEuler, Kylin), containerd.io, containerd", "docker_installs"),
    "runtimes.containerd.package_version": ("str", "that package's version (Debian's, or rpm's version-release)", "docker_installs"),
    "runtimes.containerd.cri_enabled": ("bool", "containerd's CRI plugin is in use: not disabled in /etc/containerd/config.toml (docker-ce's containerd.io disables it) and its state dir /run/containerd/io.containerd.grpc.v1.cri exists", "runtimes"),
    "runtimes.containerd.cri_evidence": ("str", "what runtimes.containerd.cri_enabled was read from, in words (or why it could not be read)", "runtimes"),
    "runtimes.containerd.root_mode": ("str", "octal mode of /var/lib/containerd: 0711 before CVE-2024-25621's fix, 0700 after (containerd chmods it at start)", "runtimes"),
    "runtimes.containerd.cri_state_mode": ("str", "octal mode of /run/containerd/io.containerd.grpc.v1.cri: 0755 before CVE-2024-25621's fix, 0700 after", "runtimes"),
    "runtimes.podman.changelog_cves": ("list[str]", "CVE ids the podman package changelog names (changelog.Debian.gz or rpm -qf --changelog /usr/bin/podman)", "changelogs"),
    "runtimes.podman.changelog_source": ("str", "where the podman changelog came from; absent when there is none", "changelogs"),
    "docker.package.name": ("str", "package that ships dockerd: docker.io (Debian/Ubuntu changelog.Debian), else the rpm owner of /usr/bin/dockerd: docker-ce (upstream), docker-engine (openEuler, Kylin), moby-engine (Fedora), docker (Amazon Linux, RHEL 7)", "docker_installs"),
    "docker.package.version": ("str", "that package's version: Debian's (26.1.5+dfsg1-9) or rpm's version-release (18.09.0-323.oe2203)", "docker_installs"),
    "docker.package.changelog_cves": ("list[str]", "CVE ids the engine package's changelog names (/usr/share/doc/docker.io/changelog.Debian.gz, or rpm -qf --changelog /usr/bin/dockerd); unknown for docker-ce, an upstream build", "changelogs"),
    "docker.package.changelog_source": ("str", "where the engine package's changelog came from; absent when there is none", "changelogs"),
    "docker.authz_plugins": ("list[str]", "/info Plugins.Authorization: the authorization plugins dockerd consults (empty: none)", "runtimes"),
    "docker.dockerd.paths": ("list[str]", "dockerd binaries: present in /usr/local/bin or /usr/bin, the one docker.service's ExecStart names, the running one", "docker_installs"),
    "docker.dockerd.copies": ("int", "how many distinct dockerd binaries docker.dockerd.paths lists", "docker_installs"),
    "docker.dockerd.unit_binary": ("str", "the dockerd binary docker.service's ExecStart starts (/usr/bin/dockerd, /usr/sbin/dockerd on Debian)", "docker_daemon"),
    "docker.dockerd.running_binary": ("str", "absolute path the running dockerd was started as (its argv[0])", "docker_daemon"),
    "docker.client.paths": ("list[str]", "docker client binaries present, in root's PATH order (/usr/local/bin, /usr/bin, /snap/bin): the first is what `docker` runs", "docker_installs"),
    "docker.client.copies": ("int", "how many of docker.client.paths are present", "docker_installs"),
    "docker.client.api_version": ("str", "highest Engine API version the docker client speaks, from its release (docker/docs API version matrix; a release newer than the table gets the newest row, a floor)", "docker_client"),
    "runtimes.crun.version": ("str", "crun --version", "runtimes"),
    "runtimes.podman.version": ("str", "podman --version", "runtimes"),
    "runtimes.installed": ("list[str]", "which of docker, dockerd, containerd, runc, crun, podman are present", "runtimes"),
    # --- engine (Docker Engine API) ----------------------------------------------
    "docker.state": ("str", "how the engine's connection ended: running | not_installed | not_running (stopped) | "
                     "socket_missing (no socket where the engine was looked for; docker.dockerd_hosts says where a "
                     "running dockerd listens) | refused | unreachable | permission_denied | tls_error | timeout | "
                     "ssh_error | unsupported (npipe://, fd://) | bad_endpoint (unparsable, unknown context) | error",
                     "docker_engine"),
    "docker.endpoint": ("str", "the engine asked: unix:///var/run/docker.sock, tcp://HOST:PORT, ssh://HOST", "docker_engine"),
    "docker.endpoint_source": ("str", "why that engine, in the docker CLI's order: flag -H | env DOCKER_HOST | "
                               "env DOCKER_CONTEXT=NAME | context NAME (config.json) | rootless socket | default socket",
                               "docker_engine"),
    "docker.local": ("bool", "the engine runs on this host (a unix socket, tcp or ssh to a loopback address); false: "
                     "on another machine, so checks comparing it with this host's firewall, kernel, storage and "
                     "sockets are skipped; unknown only when the endpoint could not be worked out", "docker_engine"),
    "docker.error_detail": ("str", "why the engine could not be read, in the capture's words (absent when it answered)",
                            "docker_engine"),
    "docker.dockerd_hosts": ("list[str]", "where the running dockerd processes listen: their -H flags, else daemon.json "
                             "hosts, else unix:///var/run/docker.sock (unknown: no dockerd runs, or no process table)",
                             "docker_engine"),
    "docker.version": ("str", "engine Version from /version", "docker_engine"),
    "docker.api_version": ("str", "ApiVersion", "docker_engine"),
    "docker.min_api_version": ("str", "MinAPIVersion from /version: the oldest API a client may speak (1.44 from Docker 29)", "docker_engine"),
    "docker.series": ("str", "major.minor of the engine version: 20.10, 26.1", "docker_engine"),
    "docker.storage_driver": ("str", "/info Driver: overlay2, devicemapper, vfs ...", "docker_engine"),
    "docker.backing_fs": ("str", "/info DriverStatus 'Backing Filesystem': xfs, extfs ...", "docker_engine"),
    "docker.supports_d_type": ("bool", "/info DriverStatus 'Supports d_type'", "docker_engine"),
    "docker.cgroup_driver": ("str", "cgroupfs | systemd", "docker_engine"),
    "docker.cgroup_version": ("str", "1 | 2", "docker_engine"),
    "docker.root_dir": ("str", "DockerRootDir", "docker_engine"),
    "docker.security_options": ("list[str]", "/info SecurityOptions: name=seccomp,profile=default ...", "docker_engine"),
    "docker.warnings": ("list[str]", "/info Warnings", "docker_engine"),
    "docker.swap_limit": ("bool", "/info SwapLimit: the kernel accounts swap per cgroup (--memory-swap works)", "docker_engine"),
    "docker.memory_limit": ("bool", "/info MemoryLimit: the memory cgroup controller is available", "docker_engine"),
    "docker.live_restore": ("bool", "/info LiveRestoreEnabled", "docker_engine"),
    "docker.swarm_state": ("str", "/info Swarm.LocalNodeState: inactive | active | pending | error | locked", "docker_engine"),
    "docker.dm_loop": ("bool", "devicemapper in loop-lvm mode (/info DriverStatus names a 'Data loop file'); absent for other drivers", "docker_engine"),
    "docker.log_driver": ("str", "default logging driver: /info LoggingDriver, else daemon.json / dockerd --log-driver, else json-file", "docker_daemon"),
    "docker.log_max_size": ("str", "log-opts max-size for new containers (daemon.json or --log-opt); empty when nothing sets it", "docker_daemon"),
    "docker.daemon_args": ("list[str]", "dockerd flags in effect: the running dockerd's command line when captured, else its systemd unit, drop-ins and EnvironmentFile ($OPTIONS, $DOCKER_OPTS)", "docker_daemon"),
    "docker.unit_args": ("list[str]", "dockerd flags docker.service starts it with (ExecStart after the unit's drop-ins, $VARS from its EnvironmentFile)", "docker_daemon"),
    "docker.daemon_args_source": ("str", "where docker.daemon_args came from: 'pid N' (the running dockerd's command line) or the docker.service unit paths", "docker_daemon"),
    "docker.daemon_cmdline": ("str", "the dockerd command line in effect, shell-quoted: the running one, else docker.service's", "docker_daemon"),
    "docker.unit_cmdline": ("str", "the dockerd command line docker.service starts (ExecStart expanded), shell-quoted", "docker_daemon"),
    "docker.daemon_settings": ("dict", "daemon.json with the flags in effect (docker.daemon_args) written over it under daemon.json's names: bip, dns, data-root, hosts, iptables, mtu, default-address-pools ...", "docker_daemon"),
    "docker.tcp_hosts": ("list[dict]", "TCP addresses the Engine API listens on: {address, source, host, port, loopback}; from -H flags, daemon.json hosts, dockerd's listening sockets and /info warnings", "docker_daemon"),
    "docker.tls_verify": ("bool", "dockerd verifies client certificates (--tlsverify or daemon.json tlsverify)", "docker_daemon"),
    "docker.iptables": ("bool", "dockerd manages iptables (--iptables flag, else daemon.json \"iptables\", default true)", "docker_daemon"),
    "docker.firewall_backend": ("str", "how dockerd writes its firewall rules: /info FirewallBackend.Driver (iptables, nftables, iptables+firewalld, nftables+firewalld; API 1.49+), else daemon settings firewall-backend, else iptables (engines before 29 have no other)", "network"),
    "docker.containers": ("list[dict]", "{id, name, image, image_id, state, exit_code, network_mode, networks, ports, pid}", "docker_engine"),
    "docker.networks": ("list[dict]", "{id, name, driver, scope, subnets, gateways, internal, bridge, icc}", "docker_engine"),
    "docker.images": ("list[dict]", "{id, tags, os, architecture, variant}", "docker_engine"),
    "docker.daemon_json": ("dict", "/etc/docker/daemon.json parsed (absent when the file is absent)", "docker_daemon"),
    "docker.socket.mode": ("str", "octal mode of /var/run/docker.sock: 0660", "docker_socket"),
    "docker.socket.gid": ("int", "group of the socket", "docker_socket"),
    # --- firewall ----------------------------------------------------------------
    "iptables.version": ("str", "iptables --version: 1.8.9", "iptables"),
    "iptables.backend": ("str", "legacy | nf_tables", "iptables"),
    "iptables.tables": ("dict", "from iptables-save: {table: {chain: {policy, rules: [rule text]}}}", "iptables"),
    "iptables.chains": ("list[str]", "every chain as 'table/CHAIN': nat/DOCKER, filter/DOCKER-USER ...", "iptables"),
    "iptables.masquerade_sources": ("list[str]", "source subnets of nat POSTROUTING MASQUERADE rules", "iptables"),
    "iptables.legacy_rule_count": ("int", "rules in iptables-legacy-save (split brain when both > 0)", "iptables"),
    "iptables.nft_rule_count": ("int", "rules in iptables-nft-save", "iptables"),
    "iptables.input_rules": ("list[dict]", "filter INPUT's rules and those of every chain it jumps to, in order, parsed as the net trees parse rules (hostcheck/net/model.py parse_rule); rules matching only packets without IPsec (-m policy --dir in --pol none: Docker's guard of an encrypted overlay network's VNI) are left out", "iptables"),
    "iptables.input_fallthrough": ("str", "what filter INPUT does with a packet no matching rule decides: its first unconditional ACCEPT/DROP/REJECT rule's target, else its policy", "iptables"),
    "firewalld.state": ("str", "running | not_running | not_installed", "firewalld"),
    "firewalld.zones": ("dict", "active zones: {zone: {interfaces: [...], sources: [...]}}", "firewalld"),
    "firewalld.docker_zone": ("bool", "an active zone named docker exists", "firewalld"),
    "firewalld.zone_settings": ("dict", "every zone of firewall-cmd --list-all-zones: {zone: {target, interfaces, sources, services, ports, protocols, forward_ports, rich_rules, default, active}}", "firewalld"),
    "firewalld.strict_forward_ports": ("bool", "/etc/firewalld/firewalld.conf StrictForwardPorts (firewalld 2.3+): DNAT by other tools (Docker's published ports) is not accepted; false when unset or the file is absent", "firewalld"),
    # --- multi-host (swarm, overlay networks) ---------------------------------------
    "request.multi_host": ("bool", "multi-host readiness was asked for (check/analyze --multi-host); false when not asked", "swarm"),
    "swarm.manager": ("bool", "/info Swarm.ControlAvailable: this node is a swarm manager", "swarm"),
    "swarm.node_addr": ("str", "/info Swarm.NodeAddr: the address other nodes reach this one at (docker swarm init/join --advertise-addr)", "swarm"),
    "swarm.data_path_port": ("int", "the swarm's VXLAN data path port: /info Swarm.Cluster.DataPathPort (4789 when 0); a worker does not see it", "swarm"),
    "swarm.ports": ("list[dict]", "what other nodes must reach on this host: {key (2377/tcp, esp), port, proto, protocols (iptables -p words), purpose, manager_only, encrypted_only} (docker/docs swarm-tutorial, firewalld docker-swarm service)", "swarm"),
    "swarm.overlay_networks": ("list[dict]", "overlay networks: {id, name, encrypted, ingress, mtu_option, base_mtu (the mtu option or 1500), container_mtu (base - 50, - 26 more rounded to 4 when encrypted)}", "swarm"),
    "swarm.encrypted_networks": ("list[str]", "names of the encrypted overlay networks (--opt encrypted)", "swarm"),
    "swarm.underlay_interface": ("str", "the interface swarm traffic leaves by: the one holding Swarm.NodeAddr, else the IPv4 default route's", "swarm"),
    "swarm.underlay_mtu": ("int", "MTU of swarm.underlay_interface", "swarm"),
    "swarm.firewalld_zone": ("str", "the firewalld zone that receives swarm traffic: the one holding swarm.underlay_interface, else the default zone", "swarm"),
    "swarm.firewalld_target": ("str", "that zone's target: default, ACCEPT (trusted), DROP, %%REJECT%%", "swarm"),
    "swarm.firewalld_services": ("list[str]", "that zone's services: ssh, docker-swarm ...", "swarm"),
    "swarm.firewalld_openings": ("list[str]", "that zone's ports and protocols as firewalld writes them: 2377/tcp, 7000-7010/udp, esp, tcp", "swarm"),
    # --- Kubernetes beside Docker ----------------------------------------------------
    "kubelet.version": ("str", "kubelet --version: 1.35.0", "cgroup"),
    "kubelet.fail_cgroup_v1": ("bool", "failCgroupV1 in /var/lib/kubelet/config.yaml (kubelet >= 1.35 defaults to true: refuses cgroup v1); unknown when the file does not set it", "cgroup"),
    # --- security modules ---------------------------------------------------------
    "security.selinux": ("str", "enforcing | permissive | disabled (/sys/fs/selinux/enforce; absent selinuxfs: disabled)", "security"),
    "security.apparmor": ("bool", "AppArmor enabled in the kernel (/sys/module/apparmor/parameters/enabled = Y)", "security"),
    "security.apparmor_parser": ("bool", "apparmor_parser is installed (/sbin or /usr/sbin), needed to load docker-default", "security"),
    # --- kernel networking -------------------------------------------------------
    "sysctl.ip_forward": ("int", "/proc/sys/net/ipv4/ip_forward", "sysctl"),
    "sysctl.bridge_nf_call_iptables": ("int", "/proc/sys/net/bridge/bridge-nf-call-iptables (absent file: br_netfilter not loaded)", "sysctl"),
    "sysctl.bridge_nf_present": ("bool", "/proc/sys/net/bridge/bridge-nf-call-iptables exists (false: file absent, br_netfilter not active; unknown with the read error otherwise)", "sysctl"),
    "net.routes": ("list[dict]", "{dst, dev, gateway, metric} from ip -j route or /proc/net/route; dst 'default' for the default route", "routes"),
    "net.interfaces": ("list[dict]", "{name, mtu, state, addresses: [cidr]} from ip -j addr", "routes"),
    "net.subnet_overlaps": ("list[dict]", "Docker subnets (networks, daemon.json bip, default-address-pools) overlapping a host route on a non-Docker interface: {source, subnet, route, dev, kind: network|bip|pool, network: the Docker network's name (null for pools)}", "network"),
    "net.egress_interface": ("str", "interface of the IPv4 default route (lowest metric)", "network"),
    "net.egress_mtu": ("int", "MTU of net.egress_interface", "network"),
    "net.docker_mtu": ("int", "MTU Docker gives bridge networks: daemon.json mtu, else 1500", "network"),
    "net.dockerd_proxy": ("dict", "dockerd's proxy environment from /info: {http, https, no} (empty strings when unset)", "network"),
    "firewalld.interface_zones": ("list[dict]", "{interface, zones, zone_count, docker_bridge}: each interface an active firewalld zone holds and each of Docker's bridges (docker0 and every network's bridge), with the zones holding it (none: zones [])", "network"),
    "dns.nameservers": ("list[str]", "nameservers in /etc/resolv.conf", "dns"),
    "dns.stub_resolver": ("bool", "/etc/resolv.conf lists only 127.0.0.53 (systemd-resolved stub)", "dns"),
    "dns.upstream_nameservers": ("list[str]", "nameservers Docker will give containers (resolved's upstream file when the stub is in use)", "dns"),
    # --- cgroups, mounts, storage ------------------------------------------------
    "cgroup.mode": ("str", "v1 | hybrid | v2, from /proc/mounts", "cgroup"),
    "cgroup.controllers": ("list[str]", "controllers of the cgroup v2 root (/sys/fs/cgroup/cgroup.controllers): cpu, memory, io, pids ...", "cgroup"),
    "mounts": ("list[dict]", "{device, mountpoint, fstype, options} from /proc/mounts", "cgroup"),
    "storage.root_free_bytes": ("int", "free bytes of the Docker root filesystem", "docker_storage"),
    "storage.root_total_bytes": ("int", "size of the Docker root filesystem", "docker_storage"),
    "storage.root_free_inodes": ("int", "free inodes of the Docker root filesystem", "docker_storage"),
    "storage.root_total_inodes": ("int", "inodes of the Docker root filesystem", "docker_storage"),
    "storage.root_free_gib": ("float", "free space of the Docker root filesystem in GiB (one decimal)", "docker_storage"),
    "storage.root_total_gib": ("float", "size of the Docker root filesystem in GiB (one decimal)", "docker_storage"),
    "storage.root_free_percent": ("float", "free space of the Docker root filesystem, percent of its size", "docker_storage"),
    "storage.root_free_inodes_percent": ("float", "free inodes of the Docker root filesystem, percent (unknown where the filesystem has no inode count, e.g. btrfs)", "docker_storage"),
    # --- processes (psutil, when present) ----------------------------------------
    "processes.names": ("list[str]", "names of running processes (dockerd, containerd, firewalld ...)", "processes"),
}


class Facts(object):
    """Known values and the reasons for the unknown ones."""

    def __init__(self, values=None, unknown=None):
        self.values = dict(values or {})
        self.unknown = dict(unknown or {})

    def set(self, name, value):
        self.values[name] = value
        self.unknown.pop(name, None)

    def missing(self, name, reason):
        if name not in self.values:
            self.unknown[name] = reason

    def known(self, name):
        return name in self.values

    def get(self, name, default=None):
        return self.values.get(name, default)

    def reason(self, name):
        """Why `name` is unknown (falls back to 'not captured')."""
        return self.unknown.get(name, "%s: not captured" % name)

    def to_dict(self):
        return {"values": dict(sorted(self.values.items())),
                "unknown": dict(sorted(self.unknown.items()))}

    @classmethod
    def from_dict(cls, data):
        return cls(data.get("values"), data.get("unknown"))

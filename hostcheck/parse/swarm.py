"""Swarm mode and overlay networks, from the engine's /info and /networks answers.

Sample output::

    $ docker swarm init --advertise-addr 127.0.0.1 && docker network create -d overlay --attachable hc-ovl
    $ curl -s --unix-socket /var/run/docker.sock http://d/info | jq -c .Swarm   # dockerd 20.10.24, this machine
    {"NodeID":"u5…","NodeAddr":"127.0.0.1","LocalNodeState":"active","ControlAvailable":true,"Error":"",
     "RemoteManagers":[{"NodeID":"u5…","Addr":"127.0.0.1:2377"}],"Nodes":1,"Managers":1,
     "Cluster":{"ID":"…","DefaultAddrPool":["10.0.0.0/8"],"SubnetSize":24,"DataPathPort":4789,…}}

>>> info = {"Swarm": {"NodeAddr": "10.0.0.46", "LocalNodeState": "active", "ControlAvailable": False}}
>>> swarm_info(info)
{'state': 'active', 'node_addr': '10.0.0.46', 'manager': False, 'data_path_port': None}
>>> [p["key"] for p in swarm_ports(4789)]
['2377/tcp', '7946/tcp', '7946/udp', '4789/udp', 'esp']
>>> overlay_mtu(None, False), overlay_mtu(None, True), overlay_mtu(1400, True)
(1450, 1424, 1324)
"""

# Overhead of the overlay driver (moby daemon/libnetwork/drivers/overlay): VXLAN adds 50
# bytes (overlay.go vxlanEncap); an encrypted network adds ESP's 26 more (encryption.go
# pktExpansion: SPI 4 + SeqN 4 + IV 8 + pad length 1 + next header 1 + ICV 8) and rounds
# down to a multiple of 4 (network.maxMTU).
VXLAN_OVERHEAD = 50
ESP_OVERHEAD = 26
DEFAULT_BASE_MTU = 1500          # maxMTU starts from 1500 unless the network's mtu option says otherwise
DEFAULT_DATA_PATH_PORT = 4789    # /info Swarm.Cluster.DataPathPort: 0 or absent means 4789 (swagger.yaml)
MTU_OPTION = "com.docker.network.driver.mtu"
ENCRYPTED_OPTION = "encrypted"   # overlay.go secureOption: present (any value) = encrypted


def _dict(value):
    return value if isinstance(value, dict) else {}


def _int(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def swarm_info(info):
    """/info -> {state, node_addr, manager, data_path_port}; None for what it does not say.

    A worker's /info has no Cluster section, so its data path port is None (unknown there).
    """
    swarm = _dict(_dict(info).get("Swarm"))
    state = swarm.get("LocalNodeState")
    addr = swarm.get("NodeAddr")
    manager = swarm.get("ControlAvailable")
    cluster = _dict(swarm.get("Cluster"))
    port = _int(cluster.get("DataPathPort")) if cluster else None
    return {"state": state if isinstance(state, str) and state else None,
            "node_addr": addr if isinstance(addr, str) and addr else None,
            "manager": manager if isinstance(manager, bool) else None,
            "data_path_port": (port or DEFAULT_DATA_PATH_PORT) if cluster else None}


def swarm_ports(data_path_port):
    """What other nodes must reach on this host (docker/docs swarm-tutorial, firewalld's
    docker-swarm service): one dict per opening, `key` as firewalld writes it."""
    data = data_path_port or DEFAULT_DATA_PATH_PORT
    return [
        {"key": "2377/tcp", "port": 2377, "proto": "tcp", "protocols": ["tcp"],
         "purpose": "cluster management (managers)", "manager_only": True, "encrypted_only": False},
        {"key": "7946/tcp", "port": 7946, "proto": "tcp", "protocols": ["tcp"],
         "purpose": "node discovery (gossip)", "manager_only": False, "encrypted_only": False},
        {"key": "7946/udp", "port": 7946, "proto": "udp", "protocols": ["udp"],
         "purpose": "node discovery (gossip)", "manager_only": False, "encrypted_only": False},
        {"key": "%d/udp" % data, "port": data, "proto": "udp", "protocols": ["udp"],
         "purpose": "overlay network data (VXLAN)", "manager_only": False, "encrypted_only": False},
        # IP protocol 50 has no port: iptables writes it -p esp or -p 50, firewalld "esp".
        {"key": "esp", "port": None, "proto": "esp", "protocols": ["esp", "50"],
         "purpose": "encrypted overlay networks (IPsec ESP)", "manager_only": False, "encrypted_only": True},
    ]


def overlay_mtu(mtu_option, encrypted):
    """The MTU the overlay driver gives containers (moby network.maxMTU)."""
    mtu = mtu_option if mtu_option else DEFAULT_BASE_MTU
    mtu -= VXLAN_OVERHEAD
    if encrypted:
        mtu -= ESP_OVERHEAD
        mtu -= mtu % 4
    return mtu


def overlay_networks(responses):
    """/networks plus each /networks/{id} -> the overlay networks:
    [{id, name, encrypted, ingress, mtu_option, base_mtu, container_mtu}], by name.

    >>> overlay_networks({"/networks": [{"Id": "y8", "Name": "ingress", "Driver": "overlay", "Ingress": True,
    ...     "Options": {"com.docker.network.driver.overlay.vxlanid_list": "4096"}},
    ...     {"Id": "k2", "Name": "sec", "Driver": "overlay", "Options": {"encrypted": "", "com.docker.network.driver.mtu": "1400"}}]})
    [{'id': 'y8', 'name': 'ingress', 'encrypted': False, 'ingress': True, 'mtu_option': None, 'base_mtu': 1500, 'container_mtu': 1450}, {'id': 'k2', 'name': 'sec', 'encrypted': True, 'ingress': False, 'mtu_option': 1400, 'base_mtu': 1400, 'container_mtu': 1324}]
    """
    found = []
    listed = responses.get("/networks") if isinstance(responses, dict) else None
    for item in listed if isinstance(listed, list) else []:
        if not isinstance(item, dict) or not isinstance(item.get("Id"), str):
            continue
        detail = _dict(responses.get("/networks/%s" % item["Id"])) or item
        if detail.get("Driver") != "overlay":
            continue
        options = _dict(detail.get("Options"))
        encrypted = ENCRYPTED_OPTION in options
        mtu_option = _int(options.get(MTU_OPTION))
        found.append({"id": item["Id"], "name": detail.get("Name") if isinstance(detail.get("Name"), str) else "",
                      "encrypted": encrypted, "ingress": detail.get("Ingress") is True,
                      "mtu_option": mtu_option or None,
                      "base_mtu": mtu_option or DEFAULT_BASE_MTU,
                      "container_mtu": overlay_mtu(mtu_option, encrypted)})
    return sorted(found, key=lambda n: n["name"])

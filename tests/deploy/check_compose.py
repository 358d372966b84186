"""Static checks of deploy/docker-compose.yml (no container engine runs on CI).

Checks that the file parses, that the services the README names exist with
pinned images, that every bind-mounted local path exists, that Prometheus
scrapes the tickflow service on the port tickflow binds, and that Grafana is
provisioned with the dashboard directory.
"""
import pathlib
import sys

import yaml


def fail(message):
    sys.exit(f"check_compose: {message}")


path = pathlib.Path(sys.argv[1])
base = path.parent
compose = yaml.safe_load(path.read_text())
services = compose.get("services") or fail("no services")
for name in ["kafka", "tickflow", "prometheus", "grafana"]:
    if name not in services:
        fail(f"service {name} missing")
for name, svc in services.items():
    image = svc.get("image")
    if image is not None and (":" not in image or image.endswith(":latest")):
        fail(f"service {name}: image {image} is not pinned")
    if image is None and "build" not in svc:
        fail(f"service {name}: neither image nor build")
    if "build" in svc:
        ctx = base / svc["build"]["context"]
        if not (ctx / svc["build"]["dockerfile"]).is_file():
            fail(f"service {name}: no Dockerfile {svc['build']['dockerfile']} under {ctx}")
    for volume in svc.get("volumes", []):
        source = volume.split(":")[0]
        if source.startswith(".") and name != "replay":
            if not (base / source).exists():
                fail(f"service {name}: mounted path {source} does not exist")
    for dep in svc.get("depends_on", []):
        if dep not in services:
            fail(f"service {name} depends on unknown {dep}")

command = services["tickflow"]["command"]
if command[0] != "live":
    fail("the tickflow service does not run `live`")
addr = [c.split("=", 1)[1] for c in command if c.startswith("--metrics-addr=")]
if not addr:
    fail("tickflow binds no metrics address (the default is loopback only)")
port = addr[0].rsplit(":", 1)[1]

prom = yaml.safe_load((base / "prometheus/prometheus.yml").read_text())
targets = [t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]]
if f"tickflow:{port}" not in targets:
    fail(f"Prometheus scrapes {targets}, not tickflow:{port}")

provider = yaml.safe_load((base / "grafana/provisioning/dashboards/tickflow.yml").read_text())
path_in_container = provider["providers"][0]["options"]["path"]
mounts = {v.split(":")[1]: v.split(":")[0] for v in services["grafana"]["volumes"]}
if path_in_container not in mounts or not list((base / mounts[path_in_container]).glob("*.json")):
    fail("Grafana's dashboard provider points at no mounted dashboard")
print(f"check_compose: {path} OK ({len(services)} services)")

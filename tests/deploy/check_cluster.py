"""Static checks of deploy/cluster/ (no container engine runs on CI).

The compose file has one tickflow service per process; every process runs
the same command but its own --process-id (0..P-1, each once), with the same
--processes, --workers, --output volume and mounted hostfile; the hostfile
lists the services' hostnames in process order; Prometheus scrapes every
process on the port it binds.
"""
import pathlib
import re
import sys

import yaml


def fail(message):
    sys.exit(f"check_cluster: {message}")


base = pathlib.Path(sys.argv[1])
compose = yaml.safe_load((base / "docker-compose.yml").read_text())
hosts = [
    line.split("#")[0].strip()
    for line in (base / "hosts").read_text().splitlines()
    if line.split("#")[0].strip()
]
members = {n: s for n, s in compose["services"].items() if n.startswith("tickflow-")}
if len(members) < 2:
    fail("fewer than two tickflow services")


def flags(service):
    out = {}
    for arg in service["command"][1:]:
        key, _, value = arg.partition("=")
        out[key] = value
    return out


seen = {}
common = None
for name, svc in members.items():
    f = flags(svc)
    pid = int(f["--process-id"])
    if pid in seen:
        fail(f"{name} and {seen[pid]} are both process {pid}")
    seen[pid] = name
    if int(f["--processes"]) != len(members):
        fail(f"{name}: --processes {f['--processes']} but {len(members)} services")
    same = {k: v for k, v in f.items() if k != "--process-id"}
    if common is None:
        common = same
    elif same != common:
        fail(f"{name}: its command differs from the others' beyond --process-id")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in svc["volumes"]}
    if f["--hostfile"] not in mounts or not (base / mounts[f["--hostfile"]]).is_file():
        fail(f"{name}: the hostfile {f['--hostfile']} is not mounted from a file here")
    if f["--output"] not in mounts:
        fail(f"{name}: the output {f['--output']} is not a (shared) volume")
    if svc.get("hostname") != name:
        fail(f"{name}: hostname must be the service name the hostfile uses")
if sorted(seen) != list(range(len(members))):
    fail(f"process ids {sorted(seen)} are not 0..{len(members) - 1}")
for pid, name in seen.items():
    if not re.fullmatch(rf"{re.escape(name)}:\d+", hosts[pid]):
        fail(f"hostfile line {pid + 1} is {hosts[pid]}, process {pid} is {name}")

prom = yaml.safe_load((base / "prometheus.yml").read_text())
targets = {t for job in prom["scrape_configs"] for sc in job["static_configs"] for t in sc["targets"]}
port = common["--metrics-addr"].rsplit(":", 1)[1]
for name in members:
    if f"{name}:{port}" not in targets:
        fail(f"Prometheus does not scrape {name}:{port}")
print(f"check_cluster: {len(members)} processes OK")

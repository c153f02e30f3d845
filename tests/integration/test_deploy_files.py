"""deploy/ checked as the guide uses it: compose.yaml rendered by `docker compose
config` where Docker's compose plugin is installed, and always validated
against the Compose Specification's schema (tests/data/compose-spec); the
services the guide names, images, ports, volumes and health checks; the env
file and secrets file naming only settings wxops knows, and loading; both nginx
sites through `nginx -t`; the systemd units through `systemd-analyze verify`.
A tool that is not installed skips its check, saying which."""

from __future__ import annotations

import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.config import ConfigError, is_known_variable, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SCHEMA = ROOT / "tests" / "data" / "compose-spec" / "compose-spec.json"
SERVICES = {"postgres", "redis", "migrate", "wxops-web", "wxops-worker", "nginx"}
OUR_SERVICES = {"migrate", "wxops-web", "wxops-worker"}
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def env_example() -> dict[str, str]:
    """The env file as systemd's EnvironmentFile and compose's env_file read it."""
    pairs = (line.split("=", 1) for line in (DEPLOY / "wxops.env.example").read_text()
             .splitlines() if line.strip() and not line.startswith("#"))
    return {name: value.removeprefix('"').removesuffix('"') for name, value in pairs}


def test_compose_yaml_follows_the_compose_specification() -> None:
    import jsonschema

    schema = json.loads(SCHEMA.read_text())
    # Its $schema names draft 7 without the trailing "#" jsonschema looks for.
    jsonschema.Draft7Validator(schema).validate(compose())  # raises naming the path at fault


def test_docker_compose_renders_it(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True,
                                        check=False).returncode:
        pytest.skip("no `docker compose` here: the schema test stands in for it")
    work = tmp_path / "deploy"
    shutil.copytree(DEPLOY, work)
    shutil.copy(work / "wxops.env.example", work / "wxops.env")
    shutil.copy(work / "secrets.toml.example", work / "secrets.toml")
    rendered = subprocess.run([docker, "compose", "-f", str(work / "compose.yaml"), "config",
                               "--format", "json"], capture_output=True, text=True,
                              env={"PATH": "/usr/bin:/bin", "POSTGRES_PASSWORD": "x" * 16},
                              check=False)
    assert rendered.returncode == 0, rendered.stderr
    assert set(json.loads(rendered.stdout)["services"]) == SERVICES


def test_the_services_images_ports_and_volumes_are_what_the_guide_says() -> None:
    spec, guide = compose(), (DEPLOY / "README.md").read_text()
    services = spec["services"]
    assert set(services) == SERVICES
    for name in SERVICES:
        assert f"`{name}`" in guide, name  # the guide names every service
    for used in re.findall(r"docker compose [^\n`]*?\b(?:logs|restart|kill -s HUP|exec|stop"
                           r"|start|run --rm)\s+([a-z][\w-]*)", guide):
        assert used in services, used  # and names no other
    for name, service in services.items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest"), (name, image)  # pinned
        if name in OUR_SERVICES:
            assert service["build"]["dockerfile"] == "deploy/Dockerfile"
            assert (DEPLOY / service["build"]["context"]).resolve() == ROOT  # the checkout
    published = {name: s["ports"] for name, s in services.items() if "ports" in s}
    assert published == {"nginx": ["80:80", "443:443"]}  # nothing else reachable
    declared = set(spec["volumes"])
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(("./", "${")):
                path = DEPLOY / source.removeprefix("./")
                if source.startswith("${"):
                    continue  # the certificates, mounted from the host
                assert path.exists() or path.with_name(path.name + ".example").exists(), volume
            else:
                assert source in declared, (name, volume)
    for name in ("wxops-web", "nginx"):
        assert "/healthz" in " ".join(services[name]["healthcheck"]["test"]), name
    assert services["migrate"]["command"] == ["wxops", "db", "upgrade"]
    for name in ("wxops-web", "wxops-worker"):
        assert services[name]["depends_on"]["migrate"]["condition"] == \
            "service_completed_successfully"


def test_the_env_files_name_only_settings_wxops_knows() -> None:
    env, lines = env_example(), (DEPLOY / "wxops.env.example").read_text().count("\nWXOPS_")
    secrets = tomllib.loads((DEPLOY / "secrets.toml.example").read_text())
    names = [*env, *(f"WXOPS_{k.upper()}" for k in secrets),
             *compose()["x-wxops"]["environment"]]
    assert [name for name in names if not is_known_variable(name)] == []
    assert len(env) == lines  # no setting twice in the env file
    # A variable, even empty, would win over the file that rotates without a restart.
    assert not {f"WXOPS_{k.upper()}" for k in secrets} & set(env)


def test_the_env_file_reads_the_same_to_systemd_compose_and_docker_run() -> None:
    """`docker run --env-file` (and podman's) takes a value as written, quotes
    and all; systemd's EnvironmentFile and compose's env_file drop surrounding
    quotes, and compose ends an unquoted value at ` #`. Values without quotes,
    comments or trailing blanks read the same to all three (found by running
    the image with podman: a quoted WXOPS_OFFICE_HOURS was refused)."""
    values = [line.split("=", 1)[1] for line in (DEPLOY / "wxops.env.example").read_text()
              .splitlines() if line.startswith("WXOPS_")]
    assert [v for v in values if v.startswith(("\"", "'")) or " #" in v or v != v.strip()] == []


def test_wxops_admin_reads_the_env_file_as_systemd_does(tmp_path: Path) -> None:
    """deploy/wxops-admin exports the env file for wxops: the same values, quotes
    dropped, an `&` in a database URL left as it is."""
    env_file = tmp_path / "wxops.env"
    env_file.write_text((DEPLOY / "wxops.env.example").read_text() +
                        'WXOPS_DATABASE_URL="postgresql+psycopg://wxops@/wxops?host=/run&port=5433"\n'
                        "WXOPS_REDIS_URL=redis://127.0.0.1:6380/0?a=1&b=2\n")
    fake = tmp_path / "bin" / "runuser"  # prints what wxops would be given
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\nexec env -0\n")
    fake.chmod(0o755)
    ran = subprocess.run([str(DEPLOY / "wxops-admin"), "doctor"], capture_output=True,
                         check=True, env={"PATH": f"{fake.parent}:/usr/bin:/bin",
                                          "ENV_FILE": str(env_file)}).stdout.decode()
    given = dict(entry.split("=", 1) for entry in ran.split("\0") if "=" in entry)
    assert {k: v for k, v in given.items() if k.startswith("WXOPS_")} == {
        **env_example(),
        "WXOPS_DATABASE_URL": "postgresql+psycopg://wxops@/wxops?host=/run&port=5433",
        "WXOPS_REDIS_URL": "redis://127.0.0.1:6380/0?a=1&b=2"}


def test_the_env_files_filled_in_are_valid_settings(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'app_secret = "s3cret"\nencoding_aes_key = "{AES_KEY}"\n'
                       'encoding_aes_key_previous = ""\n')
    env = {**env_example(), "WXOPS_CONFIG": str(secrets)}
    with pytest.raises(ConfigError) as refused:  # nobody runs with the placeholder Token
        load_settings(env)
    assert refused.value.setting == "WXOPS_TOKEN"
    settings = load_settings({**env, "WXOPS_TOKEN": "a1b2c3d4e5"})
    assert not settings.demo and settings.encoding_aes_key == AES_KEY
    assert settings.database_url.startswith("postgresql+psycopg://")


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wx.example.org")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    chain, private = folder / "fullchain.pem", folder / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, private


@pytest.mark.parametrize("site", ["wxops.conf", "compose.conf"])
def test_the_nginx_sites_parse(site: str, tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin")
    if nginx is None:
        pytest.skip("nginx is not installed (apt-get install nginx): the sites are unchecked")
    chain, key = _self_signed(tmp_path)
    text = (DEPLOY / "nginx" / site).read_text()
    for pattern, local in ((r"/etc/letsencrypt/live/[^/]+/fullchain\.pem", chain),
                           (r"/etc/letsencrypt/live/[^/]+/privkey\.pem", key),
                           (r"/etc/nginx/certs/fullchain\.pem", chain),
                           (r"/etc/nginx/certs/privkey\.pem", key),
                           (r"/etc/nginx/snippets/wxops-common\.conf",
                            DEPLOY / "nginx" / "wxops-common.conf"),
                           (r"/var/log/nginx/", f"{tmp_path}/"),
                           (r"server wxops-web:8000", "server 127.0.0.1:8000")):
        text = re.sub(pattern, str(local), text)
    (tmp_path / "site.conf").write_text(text)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log {tmp_path}/access.log;\n include {tmp_path}/site.conf;\n}}\n")
    checked = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
    assert "test is successful" in checked.stderr


@pytest.mark.parametrize("unit", ["wxops-web.service", "wxops-worker.service",
                                  "wxops-backup.service", "wxops-backup.timer"])
def test_the_systemd_units_verify(unit: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed: the units are unchecked")
    venv = Path(sys.prefix)  # the paths the guide installs to, here this checkout's venv
    for name in ("wxops-web.service", "wxops-worker.service", "wxops-backup.service",
                 "wxops-backup.timer"):
        text = (DEPLOY / name).read_text().replace("/opt/wxops/.venv", str(venv))
        (tmp_path / name).write_text(text)
    verified = subprocess.run([analyze, "verify", "--man=no", str(tmp_path / unit)],
                              capture_output=True, text=True, check=False)
    problems = [line for line in verified.stderr.splitlines()
                if str(tmp_path) in line or "wxops" in line]
    assert verified.returncode == 0 and not problems, verified.stderr


def test_the_backup_units_retention_removes_only_its_own_old_backups(tmp_path: Path) -> None:
    """The unit's clean-up, run as written (systemd splits it as shlex does): the
    timer's folders older than 14 days go; a recent one, and the backups a person
    took before an upgrade or a move to PostgreSQL, stay whatever their age."""
    unit = (DEPLOY / "wxops-backup.service").read_text()
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStartPost=")]
    command = [part.replace("/var/backups/wxops", str(tmp_path))
               for part in shlex.split(line.removeprefix("ExecStartPost="))]
    old, day_ago = time.time() - 15 * 86400, time.time() - 86400
    for name, made in (("20261101T033000Z", old), ("20261206T033000Z", day_ago),
                       ("before-upgrade-20261101", old), ("before-postgresql", old)):
        (tmp_path / name).mkdir()
        os.utime(tmp_path / name, (made, made))
    subprocess.run(command, check=True, timeout=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "20261206T033000Z", "before-postgresql", "before-upgrade-20261101"]

#!/bin/bash
# The record of a drill (deploy/README.md, "How this guide was checked"), kept
# as it ran on the build machine, not a tool to run elsewhere: the wxops image
# as compose.yaml runs it, under podman with runc, the host's PostgreSQL 15,
# Redis and nginx standing in for the three stock images. It expects a checkout
# in /tmp/imgsrc, a drill AppSecret and EncodingAESKey in /var/tmp/drill/secret
# and /var/tmp/drill/aes, and debian:bookworm-slim imported from debootstrap.
set -u
D=/var/tmp/drill
run() { echo "### $*"; bash -c "$*" 2>&1; echo; }
note() { echo "### (drill) $*"; }
cd /tmp/imgsrc

note "base image: Docker Hub is unreachable here, so debian:bookworm-slim is a debootstrap --variant=minbase bookworm rootfs imported under that name"
run "podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}'"
note "this machine's egress intercepts TLS with its own CA: the build mounts the host's CA bundle and a pip.conf naming it (build-time volumes, not in the image)"
run "podman build --network host -v /etc/ssl/certs/ca-certificates.crt:/etc/wxops-build-ca.crt:ro -v /tmp/pip-build.conf:/etc/pip.conf:ro -f deploy/Dockerfile --ignorefile deploy/Dockerfile.dockerignore -t wxops:local . | tail -4"
run "podman image inspect wxops:local --format 'user={{.Config.User}} workdir={{.Config.WorkingDir}} cmd={{.Config.Cmd}}'"

note "the guide's files, as compose.yaml's header says (cp the examples, fill in)"
run "cp deploy/wxops.env.example deploy/wxops.env && cp deploy/secrets.toml.example deploy/secrets.toml && chmod 600 deploy/secrets.toml && chown 10001 deploy/secrets.toml"
run "sed -i -e 's|^WXOPS_APP_ID=.*|WXOPS_APP_ID=wx5823bf96d3bd56c7|' -e 's|^WXOPS_TOKEN=.*|WXOPS_TOKEN=drillToken2026|' -e 's|^WXOPS_PUBLIC_URL=.*|WXOPS_PUBLIC_URL=https://wx.example.org|' -e \"s|^WXOPS_LINK_SECRET=.*|WXOPS_LINK_SECRET=\$(openssl rand -hex 24)|\" -e 's|^WXOPS_WECHAT_API_BASE=.*|WXOPS_WECHAT_API_BASE=http://127.0.0.1:19190|' deploy/wxops.env && grep -E '^WXOPS_(APP_ID|TOKEN|PUBLIC_URL|WECHAT_API_BASE)=' deploy/wxops.env"
run "sed -i -e 's|^app_secret = .*|app_secret = \"$(cat $D/secret)\"|' -e 's|^encoding_aes_key = .*|encoding_aes_key = \"$(cat $D/aes)\"|' deploy/secrets.toml && grep -c '\"' deploy/secrets.toml"

note "stand-ins for postgres:15-bookworm and redis:7-bookworm: the host's PostgreSQL 15 (a role wxops and a database wxops_drill) and Redis; the containers share the host's network (--network host), so compose's service names postgres and redis become 127.0.0.1"
run "psql -h 127.0.0.1 -U postgres -d test -qc 'DROP DATABASE IF EXISTS wxops_drill' -c \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='wxops') THEN CREATE ROLE wxops LOGIN PASSWORD 'drill'; END IF; END\\\$\\\$\" -c 'CREATE DATABASE wxops_drill OWNER wxops' && redis-cli -n 5 ping"
note "nginx: the host's nginx (1.22, Debian 12) with deploy/nginx/compose.conf and wxops-common.conf where the nginx image mounts them; wxops-web resolves to 127.0.0.1 as the compose network would resolve the service; a self-signed certificate stands in for the CA's, trusted by the containers through a mounted bundle"
run "grep -q wxops-web /etc/hosts || echo '127.0.0.1 wxops-web wx.example.org' >> /etc/hosts; mkdir -p /etc/nginx/certs /etc/nginx/snippets && openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=wx.example.org -addext subjectAltName=DNS:wx.example.org -keyout /etc/nginx/certs/privkey.pem -out /etc/nginx/certs/fullchain.pem 2>/dev/null && cp deploy/nginx/compose.conf /etc/nginx/conf.d/wxops-compose.conf && cp deploy/nginx/wxops-common.conf /etc/nginx/snippets/wxops-common.conf && rm -f /etc/nginx/sites-enabled/default && nginx -t && (nginx -s reload 2>/dev/null || nginx)"
run "cat /etc/ssl/certs/ca-certificates.crt /etc/nginx/certs/fullchain.pem > $D/bundle.pem"

note "WeChat: the platform emulator on the host, its IP whitelist 127.0.0.1"
run "(cd /work/main && WXOPS_CONFIG=/tmp/imgsrc/deploy/secrets.toml WXOPS_APP_ID=wx5823bf96d3bd56c7 WXOPS_TOKEN=drillToken2026 SSL_CERT_FILE=$D/bundle.pem REQUESTS_CA_BUNDLE=$D/bundle.pem setsid .venv/bin/wxops emulator --port 19190 --ip-whitelist 127.0.0.1 --push-to https://wx.example.org/wechat > $D/emulator.log 2>&1 &) ; sleep 3; curl -s http://127.0.0.1:19190/_emulator/health"

COMMON="--network host --env-file deploy/wxops.env -e WXOPS_DATABASE_URL=postgresql+psycopg://wxops:drill@127.0.0.1:5432/wxops_drill -e WXOPS_REDIS_URL=redis://127.0.0.1:6379/5 -e WXOPS_CONFIG=/etc/wxops/secrets.toml -v ./deploy/secrets.toml:/etc/wxops/secrets.toml:ro -v wxops-files:/var/lib/wxops/var"
note "compose's services, each with the x-wxops anchor's env_file, environment and volumes: migrate (once), wxops-web, wxops-worker"
run "podman volume rm -f wxops-files >/dev/null; podman volume create wxops-files"
run "podman run --rm --name wxops-migrate $COMMON wxops:local wxops db upgrade"
run "podman run -d --name wxops-web $COMMON wxops:local gunicorn --config /etc/wxops/gunicorn.conf.py --bind 0.0.0.0:8000 --forwarded-allow-ips '*' bot.wsgi:app"
run "podman run -d --name wxops-worker $COMMON wxops:local wxops worker"
run "sleep 6; podman exec wxops-web python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status)\""

run "curl -s --cacert /etc/nginx/certs/fullchain.pem -o /dev/null -w 'through nginx: %{http_code}\\n' https://wx.example.org/healthz"

note "a follower writes (the emulator pushes through nginx, safe mode), and the worker's reply reaches the follower"
run "curl -s -X POST -H 'Content-Type: application/json' -d '{\"openid\": \"o_drill\", \"event\": \"subscribe\"}' http://127.0.0.1:19190/_emulator/send | head -c 300; echo; curl -s -X POST -H 'Content-Type: application/json' -d '{\"openid\": \"o_drill\", \"text\": \"你好，想问问志愿者报名\"}' http://127.0.0.1:19190/_emulator/send | head -c 400"
run "podman run --rm $COMMON wxops:local wxops queue list | head -5"
note "the first admin, by invite code, as the guide says"
run "CODE=\$(podman run --rm $COMMON wxops:local wxops staff invite --role admin | grep -o '[A-Z0-9]\\{8\\}' | head -1); echo code \$CODE; curl -s -X POST -H 'Content-Type: application/json' -d '{\"openid\": \"o_admin\", \"text\": \"绑定 '\$CODE'\"}' http://127.0.0.1:19190/_emulator/send | head -c 300; echo; podman run --rm $COMMON wxops:local wxops staff list"
run "podman run --rm $COMMON wxops:local wxops queue reply T1 '您好，报名入口在菜单「加入我们」。' --as 1 2>&1 | tail -2; sleep 8; curl -s http://127.0.0.1:19190/_emulator/inbox/o_drill | head -c 600"

note "wxops doctor in the image, as the guide's last step (the containers trust the stand-in certificate through the mounted bundle)"
run "podman run --rm $COMMON -v $D/bundle.pem:/etc/wxops-ca.pem:ro -e REQUESTS_CA_BUNDLE=/etc/wxops-ca.pem wxops:local wxops doctor; echo exit \$?"

note "a backup from the image (pg_dump 15 in the image against PostgreSQL 15), written to the files volume"
run "podman run --rm $COMMON wxops:local wxops backup --out /var/lib/wxops/var/backup-drill | tail -3"
note "reload (HUP) and stop as compose would: docker compose kill -s HUP wxops-web; docker compose stop"
run "podman kill -s HUP wxops-web; sleep 3; podman ps -a --format '{{.Names}} {{.Status}}'; podman logs --since 10s wxops-web 2>&1 | tail -12; podman exec wxops-web python3 -c \"import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3).status)\""
run "podman stop -t 30 wxops-worker wxops-web; podman logs wxops-worker 2>&1 | tail -3; podman rm wxops-worker wxops-web"

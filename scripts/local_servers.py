"""Throwaway local PostgreSQL and Redis servers, each with its data in one folder and on one loopback port, for
`make run-scaled` (under data_store/) and the tests (in temporary folders). Debian's packages provide them
(`make scale-servers`). PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import List, Optional

PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_USER = "postgres"  # the database user of the URL, and the system user PostgreSQL runs as when we are root


def _as_postgres(command: List[str]) -> List[str]:
    return ["runuser", "-u", PG_USER, "--", *command] if os.geteuid() == 0 else command


class LocalPostgres:
    """A PostgreSQL cluster in `folder`, listening on 127.0.0.1:`port` only, trusting local connections (loopback,
    for one machine's throwaway data: never a production server). As root, `folder` is given to the postgres user,
    who must be able to reach it (a folder under a private temporary one will not do)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = Path(folder), port
        self.data, self.log = self.folder / "data", self.folder / "postgres.log"
        self.url = f"postgresql://{PG_USER}@127.0.0.1:{port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = _as_postgres([str(PG_BIN / args[0]), *args[1:]])
        done = subprocess.run(command, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}; see {self.log}")

    def start(self) -> LocalPostgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, PG_USER, PG_USER)
        if not (self.data / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust", "-E", "UTF8", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def restart(self, mode: str = "immediate") -> None:
        """Stops (`immediate`: as a crash would, no clean shutdown) and starts again on the same port."""
        self.stop(mode)
        self.start()

    def create_database(self, name: str) -> str:
        """A new, empty database; returns its URL."""
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, name)
        return self.url.rsplit("/", 1)[0] + f"/{name}"


class LocalRedis:
    """A Redis server on 127.0.0.1:`port` with its files in `folder` and nothing saved to disk (locks only)."""

    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = Path(folder), port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> LocalRedis:
        self.folder.mkdir(parents=True, exist_ok=True)
        command = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder),
                   "--save", "", "--appendonly", "no", "--protected-mode", "yes"]  # fmt: skip
        log = (self.folder / "redis.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}; see {log.name}")
            ping = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if ping.stdout.strip() == "PONG":
                return self
            time.sleep(0.2)
        raise RuntimeError(f"redis-server did not answer in 30s; see {log.name}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None


NGINX_CONF = """# Written by scripts/local_servers.py: nginx in front of {count} Rasa replicas.
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;  # request lines carry socket.io session ids; message texts and numbers never reach a log
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    # REST and SMS: the replica with the fewest requests in progress; a replica that refuses connections is left
    # out for a while and the request goes to another. A POST already sent to a replica that dies is not sent
    # again (nginx never repeats a non-idempotent request): the client gets a 502, never silence.
    upstream rasa {{
        least_conn;
{servers}
        keepalive 32;
    }}
    # socket.io: a browser stays on one replica (long-polling needs every request of a session on the same one)
    upstream rasa_socketio {{
        hash $remote_addr consistent;
{servers}
    }}
    server {{
        listen {host}:{port};
        client_max_body_size 64k;
        proxy_next_upstream error timeout http_502 http_503;
        proxy_next_upstream_tries 2;
        proxy_connect_timeout 2s;
        proxy_read_timeout 120s;  # over the conversation lock's lifetime a dead replica's conversation waits
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        location /socket.io/ {{
            proxy_pass http://rasa_socketio;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 1h;
        }}
        location / {{
            proxy_pass http://rasa;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}
}}
"""


class LocalNginx:
    """nginx on `host`:`port` balancing the Rasa replicas on `backends` (loopback ports), its files in `folder`."""

    def __init__(self, folder: Path, port: int, backends: List[int], host: str = "127.0.0.1") -> None:
        self.folder, self.port, self.backends, self.host = Path(folder), port, backends, host
        self.url = f"http://127.0.0.1:{port}"
        self.process: Optional[subprocess.Popen] = None

    def config(self) -> str:
        servers = "\n".join(f"        server 127.0.0.1:{port} max_fails=2 fail_timeout=5s;" for port in self.backends)
        return NGINX_CONF.format(count=len(self.backends), folder=self.folder, servers=servers, host=self.host,
                                 port=self.port)  # fmt: skip

    def start(self) -> LocalNginx:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)  # as root, nginx's workers run as nobody and keep their temporary files here
        conf = self.folder / "nginx.conf"
        conf.write_text(self.config(), encoding="utf-8")
        command = ["nginx", "-p", str(self.folder), "-c", str(conf), "-g", "daemon off;"]
        subprocess.run([*command[:-2], "-t", "-q"], check=True, capture_output=True, timeout=30)
        log = (self.folder / "nginx.log").open("a")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited with {self.process.returncode}; see {self.folder}/error.log")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"nginx did not start in 30s; see {self.folder}/error.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=20)
            self.process = None

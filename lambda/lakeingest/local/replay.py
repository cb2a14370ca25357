"""A loopback HTTP server that replays recorded ERCOT MIS and Open-Meteo responses.

The local stack has no internet, so ``lakectl ingest`` points the ingestion Lambdas' base-URL
environment variables at this server: the handlers then run their real HTTP, retry, header-check and
landing code against real-format responses (the same files the tests use). Requests for data that was
not recorded get a 404, like the real services for an unknown document.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from lakeingest.ercot.reports import REPORTS


@dataclass
class ReplayServer:
    """Serves ``<fixtures>/ercot`` and ``<fixtures>/openmeteo`` on a free loopback port."""

    fixtures: Path
    sites: dict[str, tuple[float, float]]  # site_id -> (lat, lon)
    _server: ThreadingHTTPServer | None = None
    requests: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The Lambda environment variables that point the ingestors at this server."""
        return {
            "ERCOT_MIS_LIST_URL": f"{self.base_url}/misapp/servlets/IceDocListJsonWS",
            "ERCOT_MIS_DOWNLOAD_URL": f"{self.base_url}/misdownload/servlets/mirDownload",
            "OPENMETEO_FORECAST_URL": f"{self.base_url}/v1/forecast",
            "OPENMETEO_ARCHIVE_URL": f"{self.base_url}/v1/archive",
        }

    def _resolve(self, path: str, query: dict[str, list[str]]) -> tuple[bytes, str] | None:
        ercot, weather = self.fixtures / "ercot", self.fixtures / "openmeteo"
        if path.endswith("/IceDocListJsonWS"):
            rtid = int(query.get("reportTypeId", ["0"])[0])
            for report in REPORTS.values():
                if report.report_type_id == rtid and (ercot / f"{report.name}_listing.json").exists():
                    return (ercot / f"{report.name}_listing.json").read_bytes(), "application/json"
            return None
        if path.endswith("/mirDownload"):
            doc_id = query.get("doclookupId", [""])[0]
            hits = sorted(ercot.glob(f"*_doc_{doc_id}.zip")) if doc_id.isdigit() else []
            return (hits[0].read_bytes(), "application/zip") if hits else None
        if path in ("/v1/forecast", "/v1/archive"):
            kind = path.rsplit("/", 1)[-1]
            lat, lon = float(query["latitude"][0]), float(query["longitude"][0])
            site = min(self.sites, key=lambda s: (self.sites[s][0] - lat) ** 2 + (self.sites[s][1] - lon) ** 2)
            file = weather / f"{kind}_{site}.json"
            near = abs(self.sites[site][0] - lat) < 0.1 and abs(self.sites[site][1] - lon) < 0.1
            return (file.read_bytes(), "application/json") if near and file.exists() else None
        return None

    def start(self) -> ReplayServer:
        """Start serving in a daemon thread."""
        replay = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                replay.requests.append(self.path)
                found = replay._resolve(url.path, parse_qs(url.query))
                if found is None:
                    body, ctype, status = (
                        json.dumps({"error": True, "reason": "not recorded"}).encode(),
                        "application/json",
                        404,
                    )
                else:
                    (body, ctype), status = found, 200
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

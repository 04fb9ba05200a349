"""The site's static files, served by the gateway itself (no CDN: bank networks block them).

`gateway/web/static/` holds our own CSS, JavaScript, icons and the service worker; `vendor/`
in it is filled from npm packages (package.json, package-lock.json) by `make assets` locally and
by the image build: `python -m gateway.web.assets node_modules` copies the files listed in
`VENDORED`. Files are read once, kept in memory with a gzip copy, and addressed by a content
hash (`static_url("css/site.css")` -> `/static/css/site.css?v=3f2a...`) so browsers may cache
them for a year and still see every change at once.
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the image build runs this module before its dependencies are installed
    from werkzeug.wrappers import Request, Response

STATIC = Path(__file__).with_name("static")
# destination under static/ -> source under node_modules/
VENDORED = {"vendor/htmx.min.js": "htmx.org/dist/htmx.min.js"}
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml",
                "application/manifest+json")
mimetypes.add_type("application/manifest+json", ".webmanifest")
mimetypes.add_type("text/javascript", ".js")


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    digest: str
    content_type: str


_CACHE: dict[str, Asset | None] = {}


def asset(name: str) -> Asset | None:
    """The file `static/<name>`, or None (unknown, or outside the folder)."""
    if name in _CACHE:
        return _CACHE[name]
    found = None
    path = (STATIC / name).resolve()
    if path.is_relative_to(STATIC.resolve()) and path.is_file() and not name.startswith("."):
        body = path.read_bytes()
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if content_type.startswith("text/"):
            content_type += "; charset=utf-8"
        gzipped = gzip.compress(body, 9, mtime=0) if content_type.startswith(COMPRESSIBLE) \
            else None
        found = Asset(body, gzipped, hashlib.sha256(body).hexdigest()[:12], content_type)
    _CACHE[name] = found
    return found


def static_url(name: str) -> str:
    """`/static/<name>?v=<content hash>` (a missing file still gets a URL: it will 404)."""
    found = asset(name)
    return f"/static/{name}?v={found.digest}" if found else f"/static/{name}"


def file_response(request: Request, found: Asset, immutable: bool) -> Response:
    """The file, gzipped when the client accepts it; `immutable` for hashed URLs."""
    from werkzeug.wrappers import Response

    etag = f'"{found.digest}"'
    headers = {
        "Cache-Control": "public, max-age=31536000, immutable" if immutable else "no-cache",
        "ETag": etag,
        "Vary": "Accept-Encoding",
        "X-Content-Type-Options": "nosniff",
    }
    if etag in (request.headers.get("If-None-Match") or ""):
        return Response(status=304, headers=headers)
    body = found.body
    if found.gzipped is not None and "gzip" in (request.headers.get("Accept-Encoding") or ""):
        body, headers["Content-Encoding"] = found.gzipped, "gzip"
    return Response(body, headers=headers, content_type=found.content_type)


def copy_vendored(node_modules: Path) -> list[Path]:
    """Copy the npm files the site serves into static/vendor/ (run after `npm ci`)."""
    copied = []
    for target, source in VENDORED.items():
        origin = node_modules / source
        if not origin.is_file():
            raise SystemExit(f"{origin} is missing: run `npm ci` first")
        destination = STATIC / target
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(origin, destination)
        copied.append(destination)
    return copied


if __name__ == "__main__":
    for path in copy_vendored(Path(sys.argv[1] if len(sys.argv) > 1 else "node_modules")):
        print(f"assets: {path}")

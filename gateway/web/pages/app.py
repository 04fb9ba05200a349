"""What makes the site an installable app and serves its files: static assets, the web app
manifest, the service worker (at the root, so that its scope is the whole site), the offline
page it falls back to, robots.txt."""
from __future__ import annotations

import json

from marshmallow import Schema, fields, validate
from werkzeug.wrappers import Response

from ..assets import asset, file_response, static_url
from ..page import PageCall, page


class StaticPath(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^(?!.*\.\.)[A-Za-z0-9_-][A-Za-z0-9._/-]{0,200}$"))


class AppPages:
    @page("GET", "/static/{name}", rule="/static/<path:name>", path_params=StaticPath)
    def static_file_page(self, call: PageCall):
        found = asset(call.path["name"])
        if found is None:
            return call.render("errors/problem.html", status=404, error_status=404,
                               error_reason=None, title=call.t("errors.title_404"))
        immutable = call.request.args.get("v") == found.digest
        return file_response(call.request, found, immutable)

    @page("GET", "/sw.js")
    def service_worker_page(self, call: PageCall):
        found = asset("js/sw.js")
        response = file_response(call.request, found, immutable=False)
        response.headers["Service-Worker-Allowed"] = "/"
        return response

    @page("GET", "/manifest.webmanifest")
    def manifest_page(self, call: PageCall):
        document = {
            "name": call.t("common.site_name") + " — " + call.t("common.tagline"),
            "short_name": call.t("common.site_name"),
            "description": call.t("app.manifest_description"),
            "lang": call.language,
            "start_url": "/",
            "scope": "/",
            "display": "standalone",
            "background_color": "#f5f7fa",
            "theme_color": "#123a63",
            "icons": [
                {"src": static_url("icons/icon-192.png"), "sizes": "192x192",
                 "type": "image/png"},
                {"src": static_url("icons/icon-512.png"), "sizes": "512x512",
                 "type": "image/png"},
                {"src": static_url("icons/icon-maskable-512.png"), "sizes": "512x512",
                 "type": "image/png", "purpose": "maskable"},
                {"src": static_url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            ],
        }
        return Response(json.dumps(document, ensure_ascii=False),
                         content_type="application/manifest+json",
                         headers={"Cache-Control": "no-cache", "Vary": "Cookie, Accept-Language",
                                  "X-Content-Type-Options": "nosniff"})

    @page("GET", "/offline")
    def offline_page(self, call: PageCall):
        """The page the service worker shows when the network is gone."""
        return call.render("app/offline.html", title=call.t("app.offline_title"), noindex=True,
                           hide_account=True)

    @page("GET", "/favicon.ico")
    def favicon_page(self, call: PageCall):
        """Browsers still ask for /favicon.ico beside the pages' <link rel="icon"> (and for
        what has no <head>: a JSON file, an export): the app's PNG icon, not a 404 each time."""
        return file_response(call.request, asset("icons/icon-192.png"), immutable=False)

    @page("GET", "/robots.txt")
    def robots_page(self, call: PageCall):
        text = "User-agent: *\nDisallow: /session/\nDisallow: /lang/\nDisallow: /search\n"
        return Response(text, content_type="text/plain; charset=utf-8")

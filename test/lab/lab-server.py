"""JupyterLab 4's page, built from npm by test/lab/lab-bundle.ts, served by Debian's
jupyterlab_server (LabServerApp) on Debian's jupyter_server 1.x, for the Lab tests.

    TFJS_LAB_LAB_BUNDLE=DIR /usr/bin/python3 lab-server.py --ServerApp.port=... [server options]

jupyter_server 1.x predates two APIs Lab 4 uses from jupyter_server 2: the identity API (GET
/api/me), answered here with one user as jupyter_server 2 does for a token-authenticated
server, and the event stream (/api/events/subscribe), answered with a stream without events.
"""
import json
import os

from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyterlab_server import LabServerApp
from tornado import web, websocket

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.environ["TFJS_LAB_LAB_BUNDLE"]
# Settings and workspaces a test run writes stay in its throw-away home.
STATE = os.path.join(os.environ.get("JUPYTER_DATA_DIR", BUNDLE), "tfjs-lab-lab")

# Configuration files on the machine must not change the page under test.
os.environ["JUPYTER_NO_CONFIG"] = "1"


class IdentityHandler(APIHandler):
    @web.authenticated
    def get(self):
        self.finish(json.dumps({
            "identity": {
                "username": "tester", "name": "tester", "display_name": "tester",
                "initials": "T", "avatar_url": None, "color": None,
            },
            "permissions": {},
        }))


class EventsHandler(websocket.WebSocketHandler, JupyterHandler):
    """Lab 4 subscribes to jupyter_server 2's event bus (/api/events/subscribe) and retries
    without end when refused; jupyter_server 1.x emits no events, so the stream stays silent."""

    def get(self, *args, **kwargs):
        if self.current_user is None:
            raise web.HTTPError(403)
        return super().get(*args, **kwargs)

    def check_origin(self, origin):
        return JupyterHandler.check_origin(self, origin)

    def on_message(self, message):
        pass


class TfjsLabTestLab(LabServerApp):
    # jupyter_server finds a script's extension app under its module name (__main__).
    name = __name__
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab (tfjs-lab tests)"
    app_version = os.environ.get("TFJS_LAB_LAB_VERSION", "4")
    static_dir = os.path.join(BUNDLE, "static")
    schemas_dir = os.path.join(BUNDLE, "schemas")
    themes_dir = os.path.join(BUNDLE, "themes")
    templates_dir = os.path.join(HERE, "app")
    app_settings_dir = os.path.join(BUNDLE, "app-settings")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.append((r"/api/me", IdentityHandler))
        self.handlers.append((r"/api/events/subscribe", EventsHandler))

    def initialize_settings(self):
        super().initialize_settings()
        self.serverapp.web_app.settings["terminals_available"] = False


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": TfjsLabTestLab}]


if __name__ == "__main__":
    TfjsLabTestLab.launch_instance()

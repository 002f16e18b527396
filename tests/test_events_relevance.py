"""stacklens.events.relevance: in-app inference and the package names of library frames."""

from __future__ import annotations

from typing import Any

import pytest

from stacklens.events.model import Frame
from stacklens.events.relevance import in_app_flags, looks_in_app, package_of


@pytest.mark.parametrize(
    ("frame", "in_app"),
    [
        ({"abs_path": "/srv/app/shop/views.py", "module": "shop.views", "function": "checkout"}, True),
        ({"abs_path": "/venv/lib/python3.12/site-packages/starlette/routing.py"}, False),
        ({"abs_path": "/usr/lib/python3.12/json/decoder.py"}, False),
        ({"filename": "<frozen importlib._bootstrap>", "function": "_call_with_frames_removed"}, False),
        ({"abs_path": "/app/node_modules/express/lib/router.js"}, False),
        ({"abs_path": "webpack:///./src/components/List.tsx", "function": "renderList"}, True),
        ({"module": "java.lang.Thread", "function": "run", "filename": "Thread.java"}, False),
        ({"module": "io.acme.Billing", "function": "charge", "filename": "Billing.java"}, True),
        ({"module": "json.decoder", "function": "raw_decode"}, False),
        ({"function": "objc_msgSend", "package": "/usr/lib/libobjc.A.dylib"}, False),
        ({"instruction_addr": "0xdead"}, False),
    ],
)
def test_in_app_inference(frame: dict[str, Any], in_app: bool) -> None:
    assert looks_in_app(Frame.model_validate(frame)) is in_app


def test_explicit_flags_win_over_inference() -> None:
    frames = [
        Frame(abs_path="/venv/lib/python3.12/site-packages/x/y.py", in_app=True),
        Frame(abs_path="/srv/app/a.py", in_app=False),
        Frame(abs_path="/srv/app/b.py"),
    ]
    assert in_app_flags(frames) == [True, False, True]


@pytest.mark.parametrize(
    ("frame", "package"),
    [
        ({"abs_path": "/v/lib/python3.11/site-packages/starlette/routing.py"}, "starlette"),
        ({"abs_path": "/v/lib/python3.11/site-packages/six.py"}, "six"),
        ({"abs_path": "/app/node_modules/@sentry/browser/esm/helpers.js"}, "@sentry/browser"),
        ({"abs_path": "/root/.pyenv/versions/3.11.7/lib/python3.11/contextlib.py"}, "contextlib"),
        ({"package": "System.Private.CoreLib, Version=4.0.0.0, Culture=neutral"}, "System.Private.CoreLib"),
        ({"module": "org.springframework.web.servlet.FrameworkServlet"}, "org.springframework"),
    ],
)
def test_package_names(frame: dict[str, Any], package: str) -> None:
    assert package_of(Frame.model_validate(frame)) == package

"""A Sphinx extension: every page lists each of its scripts once.

Jupyter Book 1 sets up sphinx-thebe's and sphinx-togglebutton's configuration scripts twice on
every page; the second `const THEBE_JS_URL = ...` is a JavaScript error ("Identifier has already
been declared") that the browser check (book/_tools/check_site.py) reports. This keeps the first
of each identical script (same file, same inline body and attributes), in order.
"""
from __future__ import annotations


def _key(script) -> tuple:
    attributes = getattr(script, "attributes", {}) or {}
    # an inline script's file name is None or "" depending on who added it
    return getattr(script, "filename", str(script)) or "", tuple(sorted((k, str(v)) for k, v in attributes.items()))


def unique_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app):
    app.connect("html-page-context", unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

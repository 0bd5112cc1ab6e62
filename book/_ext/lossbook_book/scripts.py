"""Each script once per page.

Jupyter Book 1 adds sphinx-thebe's configuration script twice, which the browser reports as
a redeclaration error.
"""

from __future__ import annotations


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """``html-page-context`` handler: keep the first of scripts with the same file and attributes."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # An inline script comes once with filename None and once with "": same script.
        attributes = getattr(script, "attributes", {}) or {}
        key = (getattr(script, "filename", None) or "", repr(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique

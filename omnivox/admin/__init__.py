"""Admin pages (admins only): scenario files with their problems and flow diagrams, reload;
agents with skills and levels; services and their rules (the routing file).

``omnivox.admin.http.setup(app, ...)`` mounts them; ``flow.flow_dot`` is the pure
scenario -> Graphviz DOT step, ``graphviz.Graphviz`` renders it to SVG.
"""

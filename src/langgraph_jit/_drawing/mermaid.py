"""Mermaid flowchart text for a drawn graph, line for line what LangGraph emits."""

from __future__ import annotations

import re
from typing import Any

DEFAULT_CLASSES = (
    ("default", "fill:#f2f0ff,line-height:1.2"),
    ("first", "fill-opacity:0"),
    ("last", "fill:#bfb6fc"),
)
_MARKDOWN_CHARS = ("*", "_", "`")
_SAFE_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
# Characters mermaid would parse inside a label, as its own entity codes.
_LABEL_ENTITIES = {
    "[": "#91;",
    "]": "#93;",
    "(": "#40;",
    ")": "#41;",
    "{": "#123;",
    "}": "#125;",
    '"': "#quot;",
    "<": "#60;",
    ">": "#62;",
    "|": "#124;",
}


def safe_id(text: str) -> str:
    """A mermaid-safe id: unusual characters become `\\<hex codepoint>`."""
    return "".join(ch if ch in _SAFE_ID_CHARS else f"\\{ord(ch):x}" for ch in text)


def _escape_label(text: str) -> str:
    text = text.replace("#", "#35;")
    for ch, entity in _LABEL_ENTITIES.items():
        text = text.replace(ch, entity)
    return text


def _metadata_lines(metadata: dict[str, Any]) -> list[str]:
    scalars = (str, int, float, bool)
    lines = []
    for key, value in metadata.items():
        if isinstance(value, scalars):
            shown = str(value)
        elif isinstance(value, (list, tuple, set)) and all(isinstance(v, scalars) for v in value):
            items = [str(v) for v in value]
            shown = ", ".join(sorted(items) if isinstance(value, set) else items)
        else:
            continue
        lines.append(_escape_label(f"{key} = {shown}"))
    return lines


def _yaml(value: Any) -> str:
    """Block-style YAML with sorted keys, as PyYAML's `dump` writes it."""
    try:
        import yaml
    except ImportError:
        return "".join(_yaml_lines(value, 0))
    return yaml.dump(value, default_flow_style=False)


_PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .#/-]*$")


def _yaml_scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    s = str(v)
    if (
        _PLAIN.match(s)
        and s.lower() not in ("true", "false", "null", "yes", "no", "on", "off", "~")
        and not s.endswith(" ")
    ):
        return s
    return "'" + s.replace("'", "''") + "'"


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    out = []
    if isinstance(value, dict):
        for k in sorted(value, key=str):
            v = value[k]
            if isinstance(v, dict) and v:
                out.append(f"{pad}{k}:\n")
                out.extend(_yaml_lines(v, indent + 1))
            elif isinstance(v, (list, tuple)) and v:
                out.append(f"{pad}{k}:\n")
                out.extend(f"{pad}- {_yaml_scalar(i)}\n" for i in v)
            else:
                out.append(f"{pad}{k}: {_yaml_scalar(v) if v != {} else '{}'}\n")
    return out


def _colors(node_colors: Any) -> list[tuple[str, str]]:
    if node_colors is None:
        return list(DEFAULT_CLASSES)
    if isinstance(node_colors, dict):
        return list(node_colors.items())
    return [(name, getattr(node_colors, name)) for name, _ in DEFAULT_CLASSES]


def render_mermaid(
    nodes: dict[str, Any],
    edges: list[Any],
    *,
    first: str | None,
    last: str | None,
    with_styles: bool = True,
    curve: str = "linear",
    node_colors: Any = None,
    wrap_label_n_words: int = 9,
    frontmatter_config: dict[str, Any] | None = None,
) -> str:
    user = frontmatter_config or {}
    user_config = user.get("config", {})
    front = {
        **user,
        "config": {
            **user_config,
            "flowchart": {**user_config.get("flowchart", {}), "curve": curve},
        },
    }
    out: list[str] = ["---\n" + _yaml(front) + "---\ngraph TD;\n" if with_styles else "graph TD;\n"]

    # A node `a:b:c` belongs to subgraph `a:b`; top-level nodes have no colon.
    grouped: dict[str, dict[str, Any]] = {}
    top: dict[str, Any] = {}
    for key, node in nodes.items():
        if ":" in key:
            grouped.setdefault(key.rsplit(":", 1)[0], {})[key] = node
        else:
            top[key] = node

    def node_line(key: str, node: Any) -> str:
        name = node.name.split(":")[-1]
        label = (
            f"<p>{name}</p>"
            if name.startswith(_MARKDOWN_CHARS) and name.endswith(_MARKDOWN_CHARS)
            else name
        )
        if meta := _metadata_lines(node.metadata or {}):
            label = f"{label}<hr/><small><em>" + "\n".join(meta) + "</em></small>"
        if key == first:
            return f"\t{safe_id(key)}([{label}]):::first\n"
        if key == last:
            return f"\t{safe_id(key)}([{label}]):::last\n"
        return f"\t{safe_id(key)}({label})\n"

    if with_styles:
        out.extend(node_line(k, n) for k, n in top.items())

    # Edges go in the block of the deepest subgraph holding both ends.
    by_prefix: dict[str, list[Any]] = {}
    for edge in edges:
        shared = ":".join(
            s for s, t in zip(edge.source.split(":"), edge.target.split(":")) if s == t
        )
        by_prefix.setdefault(shared, []).append(edge)

    opened: set[str] = set()

    def edge_line(edge: Any) -> str:
        if edge.data is None:
            arrow = " -.-> " if edge.conditional else " --> "
        else:
            words = str(edge.data).split()
            text = edge.data
            if len(words) > wrap_label_n_words:
                text = "&nbsp<br>&nbsp".join(
                    " ".join(words[i : i + wrap_label_n_words])
                    for i in range(0, len(words), wrap_label_n_words)
                )
            arrow = (
                f" -. &nbsp;{text}&nbsp; .-> "
                if edge.conditional
                else f" -- &nbsp;{text}&nbsp; --> "
            )
        return f"\t{safe_id(edge.source)}{arrow}{safe_id(edge.target)};\n"

    def block(prefix: str, group: list[Any]) -> None:
        lone_loop = len(group) == 1 and group[0].source == group[0].target
        framed = bool(prefix) and not lone_loop
        if framed:
            title = prefix.rsplit(":", 1)[-1]
            if title in opened:
                raise ValueError(
                    f"Found duplicate subgraph '{title}' -- this likely means that you're reusing a "
                    "subgraph node with the same name. Please adjust your graph to have subgraph "
                    "nodes with unique names."
                )
            opened.add(title)
            out.append(f"\tsubgraph {title}\n")
            if with_styles:
                out.extend(node_line(k, n) for k, n in grouped.get(prefix, {}).items())
        out.extend(edge_line(e) for e in group)
        for child, child_edges in by_prefix.items():
            if child == prefix or not child.startswith(prefix + ":"):
                continue
            if ":" in child[len(prefix) + 1 :]:
                continue
            block(child, child_edges)
        if framed:
            out.append("\tend\n")

    block("", by_prefix.get("", []))
    for prefix, group in by_prefix.items():
        if prefix and ":" not in prefix:
            block(prefix, group)
            opened.add(prefix)
    if with_styles:
        for prefix, members in grouped.items():
            if ":" not in prefix and prefix not in opened:
                out.append(f"\tsubgraph {prefix}\n")
                out.extend(node_line(k, n) for k, n in members.items())
                out.append("\tend\n")
                opened.add(prefix)
        out.extend(f"\tclassDef {name} {style}\n" for name, style in _colors(node_colors))
    return "".join(out)

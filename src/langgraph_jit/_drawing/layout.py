"""A small layered layout (rank by longest path, order by barycentre) and two
renderers on it: ASCII art for terminals, SVG for notebooks. Pure Python."""

from __future__ import annotations

from html import escape
from typing import Any


def layers(node_ids: list[str], edges: list[Any]) -> tuple[list[list[str]], set[tuple[str, str]]]:
    """Rows of node ids, top to bottom, and the (source, target) pairs that
    point upwards or sideways (back edges of cycles)."""
    succ: dict[str, list[str]] = {n: [] for n in node_ids}
    for e in edges:
        if e.source in succ and e.target in succ and e.target not in succ[e.source]:
            succ[e.source].append(e.target)
    # Depth-first from roots in node order; edges into the current path are back edges.
    state: dict[str, int] = {}
    back: set[tuple[str, str]] = set()
    has_pred = {t for s in succ for t in succ[s] if t != s}
    roots = [n for n in node_ids if n not in has_pred] + node_ids
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(succ[root]))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                back.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
    rank = dict.fromkeys(node_ids, 0)
    order = _topological(node_ids, succ, back)
    for n in order:
        for t in succ[n]:
            if (n, t) not in back and t != n:
                rank[t] = max(rank[t], rank[n] + 1)
    rows: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for n in node_ids:
        rows[rank[n]].append(n)
    # Two barycentre sweeps keep edges short and reduce crossings.
    preds: dict[str, list[str]] = {n: [] for n in node_ids}
    for s in succ:
        for t in succ[s]:
            if (s, t) not in back and s != t:
                preds[t].append(s)
    for _ in range(2):
        pos = {n: i for row in rows for i, n in enumerate(row)}
        for row in rows[1:]:
            row.sort(
                key=lambda n: sum(pos[p] for p in preds[n]) / len(preds[n]) if preds[n] else pos[n]
            )
            pos.update({n: i for i, n in enumerate(row)})
    return rows, back


def _topological(
    node_ids: list[str], succ: dict[str, list[str]], back: set[tuple[str, str]]
) -> list[str]:
    indeg = dict.fromkeys(node_ids, 0)
    for s in succ:
        for t in succ[s]:
            if (s, t) not in back and s != t:
                indeg[t] += 1
    ready = [n for n in node_ids if indeg[n] == 0]
    out = []
    while ready:
        n = ready.pop(0)
        out.append(n)
        for t in succ[n]:
            if (n, t) not in back and t != n:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
    return out


# -- ASCII ----------------------------------------------------------------------

_ROW_GAP = 5


def render_ascii(names: dict[str, str], edges: list[Any]) -> str:
    """Boxes in rows; edges drawn as lines (`*` solid, `.` conditional).
    Edges that do not go down to the next row are also listed below the
    picture, so every edge can be read off."""
    if not names:
        return ""
    rows, back = layers(list(names), edges)
    width = {n: len(names[n]) + 4 for n in names}
    row_width = [sum(width[n] for n in row) + 3 * (len(row) - 1) for row in rows]
    canvas_w = max(row_width) + 2
    x_left: dict[str, int] = {}
    y_top: dict[str, int] = {}
    for r, row in enumerate(rows):
        x = (canvas_w - row_width[r]) // 2
        for n in row:
            x_left[n], y_top[n] = x, r * _ROW_GAP
            x += width[n] + 3
    canvas_h = (len(rows) - 1) * _ROW_GAP + 3
    grid = [[" "] * canvas_w for _ in range(canvas_h)]
    rank = {n: r for r, row in enumerate(rows) for n in row}

    def centre(n: str) -> int:
        return x_left[n] + width[n] // 2

    listed: list[Any] = []
    drawn: list[Any] = []
    for e in edges:
        if e.source not in names or e.target not in names:
            continue
        down = rank[e.target] == rank[e.source] + 1 and (e.source, e.target) not in back
        (drawn if down else listed).append(e)
    # Spread the lines leaving (and entering) one box along its border, in target order.
    outs: dict[str, list[Any]] = {}
    ins: dict[str, list[Any]] = {}
    for e in drawn:
        outs.setdefault(e.source, []).append(e)
        ins.setdefault(e.target, []).append(e)
    for group, other in ((outs, "target"), (ins, "source")):
        for lst in group.values():
            lst.sort(key=lambda e: x_left[getattr(e, other)])

    def port(n: str, e: Any, group: dict[str, list[Any]]) -> int:
        lst = group[n]
        return x_left[n] + 1 + (lst.index(e) + 1) * (width[n] - 2) // (len(lst) + 1)

    labels = []
    for e in drawn:
        ch = "." if e.conditional else "*"
        x0, y0 = port(e.source, e, outs), y_top[e.source] + 3
        x1, y1 = port(e.target, e, ins), y_top[e.target] - 1
        for i in range(y1 - y0 + 1):
            y = y0 + i
            x = x0 + round((x1 - x0) * i / max(1, y1 - y0))
            grid[y][x] = ch
        if e.data is not None:
            labels.append((e, (x0 + x1) // 2 + 1, (y0 + y1) // 2))
    for e, x, y in labels:
        text = " " + str(e.data)
        cells = grid[y][x : x + len(text) + 1]
        if len(cells) == len(text) + 1 and all(c == " " for c in cells):
            grid[y][x : x + len(text)] = list(text)
        else:
            listed.append(e)  # no room for the label on the line: list the edge below
    for n, name in names.items():
        x, y, w = x_left[n], y_top[n], width[n]
        grid[y][x : x + w] = list("+" + "-" * (w - 2) + "+")
        grid[y + 1][x : x + w] = list("| " + name + " |")
        grid[y + 2][x : x + w] = list("+" + "-" * (w - 2) + "+")
    lines = ["".join(row).rstrip() for row in grid]
    for e in listed:
        arrow = "-.->" if e.conditional else "--->"
        label = f" ({e.data})" if e.data is not None else ""
        lines.append(f"{names[e.source]} {arrow} {names[e.target]}{label}")
    return "\n".join(lines)


# -- SVG ------------------------------------------------------------------------

_CHAR_W, _BOX_H, _GAP_X, _GAP_Y, _MARGIN = 7.5, 32, 30, 60, 20


def render_svg(
    names: dict[str, str], edges: list[Any], *, first: str | None = None, last: str | None = None
) -> str:
    rows, _back = layers(list(names), edges) if names else ([], set())
    width = {n: max(60.0, len(names[n]) * _CHAR_W + 24) for n in names}
    row_w = [sum(width[n] for n in row) + _GAP_X * (len(row) - 1) for row in rows]
    total_w = max(row_w, default=0) + 2 * _MARGIN + 80
    cx: dict[str, float] = {}
    cy: dict[str, float] = {}
    for r, row in enumerate(rows):
        x = (total_w - row_w[r]) / 2
        for n in row:
            cx[n], cy[n] = x + width[n] / 2, _MARGIN + r * (_BOX_H + _GAP_Y) + _BOX_H / 2
            x += width[n] + _GAP_X
    total_h = _MARGIN * 2 + len(rows) * _BOX_H + max(0, len(rows) - 1) * _GAP_Y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total_w:.0f}" height="{total_h:.0f}" '
        f'viewBox="0 0 {total_w:.0f} {total_h:.0f}" font-family="sans-serif" font-size="13">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>',
        f'<rect width="{total_w:.0f}" height="{total_h:.0f}" fill="white"/>',
    ]
    half = _BOX_H / 2
    for e in edges:
        if e.source not in cx or e.target not in cx:
            continue
        dash = ' stroke-dasharray="5,4"' if e.conditional else ""
        x0, y0, x1, y1 = cx[e.source], cy[e.source], cx[e.target], cy[e.target]
        if e.source == e.target:
            half_w = width[e.source] / 2
            d = f"M{x0 + half_w:.1f},{y0 - 6:.1f} C{x0 + half_w + 40:.1f},{y0 - 30:.1f} {x0 + half_w + 40:.1f},{y0 + 30:.1f} {x0 + half_w:.1f},{y0 + 6:.1f}"
            lx, ly = x0 + half_w + 34, y0
        elif y1 > y0:
            d = f"M{x0:.1f},{y0 + half:.1f} L{x1:.1f},{y1 - half:.1f}"
            lx, ly = (x0 + x1) / 2, (y0 + y1) / 2
        else:
            # Upward (back) edges bend out to the right so they do not run over boxes.
            bend = max(x0 + width[e.source] / 2, x1 + width[e.target] / 2) + 40
            d = f"M{x0 + width[e.source] / 2:.1f},{y0:.1f} C{bend:.1f},{y0:.1f} {bend:.1f},{y1:.1f} {x1 + width[e.target] / 2:.1f},{y1:.1f}"
            lx, ly = bend - 10, (y0 + y1) / 2
        out.append(
            f'<path d="{d}" fill="none" stroke="#333" stroke-width="1.3"{dash} marker-end="url(#arrow)"/>'
        )
        if e.data is not None:
            out.append(
                f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" fill="#333" '
                f'style="paint-order:stroke" stroke="white" stroke-width="4">{escape(str(e.data))}</text>'
            )
    for n, name in names.items():
        fill = "#bfb6fc" if n == last else ("white" if n == first else "#f2f0ff")
        rx = half if n in (first, last) else 6
        w = width[n]
        out.append(
            f'<g class="node" id="{escape(n, quote=True)}"><rect x="{cx[n] - w / 2:.1f}" y="{cy[n] - half:.1f}" '
            f'width="{w:.1f}" height="{_BOX_H}" rx="{rx:.1f}" fill="{fill}" stroke="#9370db"/>'
            f'<text x="{cx[n]:.1f}" y="{cy[n] + 4.5:.1f}" text-anchor="middle">{escape(name)}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)

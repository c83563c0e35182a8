"""``grokcheck identify GROUP``: recognise a group among the named families and their direct products."""

from __future__ import annotations

import json


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments

    p = sub.add_parser(
        "identify",
        help="recognise a Cayley table or permutation group by name",
        description="Recognise a finite group (a Cayley table, permutation generators or a name) among "
        "grokcheck's named families (Cn, Dn, Sn, An, Q8, Dicn, F21, F20, SL/GL/PSL(2,p), Cn:Cm) and their "
        "direct products: invariants first (order, class sizes and element orders, Abelian invariants), then "
        "an explicit isomorphism onto the named group, whose generator images are printed. The name parses "
        "back with every other command. Exit status 0 when recognised, 1 when not.",
    )
    add_group_arguments(p)
    p.add_argument("--json", action="store_true", help="print {name, order, isomorphism} as JSON")
    p.set_defaults(func=run)


def run(args) -> int:
    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.theory import group, identify, isomorphism

    G = group_from_args(args)
    name = identify(G)
    if name is None:
        msg = (
            f"the group of order {G.order} ({G.num_classes} classes) is none of the named families or their "
            "direct products"
        )
        print(json.dumps({"name": None, "order": G.order}) if args.json else msg)
        return 1
    H = group(name)
    phi = isomorphism(G, H)
    label_g = (lambda g: G.elements[g]) if G.elements is not None else (lambda g: g)
    label_h = (lambda h: H.elements[h]) if H.elements is not None else (lambda h: h)
    gens = [{"element": label_g(int(g)), "index": int(g), "image": label_h(int(phi[g])), "image_index": int(phi[g])}
            for g in _given_generators(args, G)]
    if args.json:
        print(json.dumps({"name": name, "order": G.order, "generators": gens, "isomorphism": [int(v) for v in phi]}))
        return 0
    print(name)
    print(f"  order {G.order}, {G.num_classes} classes; an isomorphism onto group({name!r}) sends")
    for item in gens:
        print(f"    {item['element']} ↦ {item['image']}")
    return 0


def _given_generators(args, G) -> list[int]:
    """The elements the user generated the group with (``--perms``), else the group's own generators."""
    perms = getattr(args, "perms", None)
    if perms and G.elements is not None:
        from grokcheck.theory._permutations import cycle_string, moved_point_generators

        gens, point_of = moved_point_generators(perms)
        index = {label: i for i, label in enumerate(G.elements)}
        found = [index.get(cycle_string(g, points=point_of)) for g in gens]
        if all(i is not None for i in found):
            return list(dict.fromkeys(found))  # a generator given twice is shown once
    return [int(g) for g in G.generators]

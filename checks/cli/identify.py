"""``grokcheck identify GROUP``: recognise a group among the named families and their direct products."""

from __future__ import annotations

import json


def register(sub) -> None:
    from grokcheck.checks.cli._group_args import add_group_arguments
    from grokcheck.theory._perm_group import MAX_LARGE_ORDER

    p = sub.add_parser(
        "identify",
        help="recognise a Cayley table or permutation group by name",
        description="Recognise a finite group (a Cayley table, permutation generators, matrices or a name) among "
        "grokcheck's named families (Cn, Dn, Sn, An, Q8, Dicn, F21, F20, SL/GL/PSL(2,p), Cn:Cm, Cn:Cm[r]) and their "
        "direct products, and every group of order ≤ 32 by GAP's SmallGroup id (SmallGroup(16,13) is the Pauli group; "
        "the id parses back as a name): invariants first (order, class sizes and element orders, Abelian invariants), then "
        "an explicit isomorphism onto the named group, whose images of your generators are printed. Above order "
        "5040 the group is a permutation group (no Cayley table; named products such as S8xC2 act on disjoint "
        f"points) up to MAX_LARGE_ORDER = {MAX_LARGE_ORDER}, and the isomorphism is proved by Schreier-Sims. The name parses "
        "back with every other command. Exit status 0 when recognised, 1 when not.",
    )
    add_group_arguments(p)
    p.add_argument("--json", action="store_true",
                   help="print {name, order, small_group, generators, isomorphism} as JSON (isomorphism: the image index of every "
                        "element; null above order 5040, where only the generators' images are given)")
    p.set_defaults(func=run)


def run(args) -> int:
    from grokcheck.checks.cli._group_args import group_from_args
    from grokcheck.theory._finite_group import FiniteGroup
    from grokcheck.theory._identify import _large, _named, identify, isomorphism, isomorphism_on_generators
    from grokcheck.theory._small_groups import SMALL_GROUP_MAX_ORDER

    G = group_from_args(args, large=True)
    name = identify(G)
    dense = isinstance(G, FiniteGroup)
    small = None
    if dense and G.order <= SMALL_GROUP_MAX_ORDER:
        from grokcheck.theory._small_groups import small_group_id

        n, k = small_group_id(G)  # every group of order ≤ 32 is in the catalogue, proved by an isomorphism
        small = f"SmallGroup({n},{k})"
    if name is None and small is None:
        msg = (
            f"the group of order {G.order} ({G.num_classes} classes) is none of the named families or their "
            f"direct products, and above the SmallGroup catalogue (orders ≤ {SMALL_GROUP_MAX_ORDER})"
        )
        print(json.dumps({"name": None, "order": G.order, "small_group": None}) if args.json else msg)
        return 1
    name = name or small  # outside the named families: GAP's id, which parses back as a name too
    # identify built the named group to prove it: _named / _large hand back that build (a dense table of up
    # to 5040 elements, or an enumerated permutation group) rather than forming it a second time
    if dense:
        H = _named(name)
        phi = isomorphism(G, H)
        given = _given_generators(args, G)
        images = [int(phi[g]) for g in given]
    else:
        H, phi = _large(name), None
        given = [int(g) for g in G.generator_indices]  # the user's generators, in order
        images = list(isomorphism_on_generators(G, H))
    gens = [{"element": _label(G, g, args), "index": g, "image": _label(H, h), "image_index": h}
            for g, h in dict.fromkeys(zip(given, images))]  # a generator given twice is shown once
    if args.json:
        print(json.dumps({"name": name, "order": G.order, "small_group": small, "generators": gens,
                          "isomorphism": None if phi is None else [int(v) for v in phi]}))
        return 0
    print(name if small in (None, name) else f"{name}  ({small})")
    what = f"group({name!r})" if dense else f"large_group({name!r}), a permutation group on {H.degree} points,"
    print(f"  order {G.order}, {G.num_classes} classes; an isomorphism onto {what} sends")
    for item in gens:
        print(f"    {item['element']} ↦ {item['image']}")
    return 0


def _label(G, g: int, args=None):
    """Element ``g`` as the user wrote it: its label, a cycle string on the user's points, or a matrix."""
    matrices = getattr(args, "matrices", None) if args is not None else None
    if matrices and G.elements is None:  # a matrix group above 5040: its generators are the user's matrices
        index = list(G.generator_indices).index(g)
        return _matrix_text(matrices[index], args.field)
    if G.elements is not None:
        return G.elements[g]
    return G.cycle_string(g) if hasattr(G, "cycle_string") else g


def _matrix_text(matrix, p: int) -> str:
    """A generator matrix reduced mod p, written as the element labels of a matrix group are."""
    from grokcheck.theory._matrix_group import parse_matrix

    return str((parse_matrix(matrix) % p).tolist()).replace(" ", "")


def _given_generators(args, G) -> list[int]:
    """The elements the user generated the group with (``--perms``, ``--matrices``), else the group's own generators."""
    perms = getattr(args, "perms", None)
    matrices = getattr(args, "matrices", None)
    if G.elements is not None and (perms or matrices):
        index = {label: i for i, label in enumerate(G.elements)}
        if perms:
            from grokcheck.theory._permutations import cycle_string, moved_point_generators

            gens, point_of = moved_point_generators(perms)
            found = [index.get(cycle_string(g, points=point_of)) for g in gens]
        else:
            found = [index.get(_matrix_text(m, args.field)) for m in matrices]
        if all(i is not None for i in found):
            return found
    return [int(g) for g in G.generators]

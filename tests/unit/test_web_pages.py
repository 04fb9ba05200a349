"""The composition of the gateway: routes and pages from many mixins, none shadowing another."""
from __future__ import annotations

from gateway.calls import RouteSpec
from gateway.service import GatewayService
from gateway.web.page import PageSpec, pages_of


def _entrypoints(cls: type) -> dict[str, object]:
    return {name: value for name, value in vars(cls).items()
            if isinstance(getattr(value, "route_spec", None), RouteSpec)
            or isinstance(getattr(value, "page_spec", None), PageSpec)}


def test_no_mixin_shadows_another_ones_handler():
    """Two mixins defining the same method name: Python keeps one, the other's route or page
    silently disappears (405/404). Page handlers end in `_page` by convention."""
    owners: dict[str, list[str]] = {}
    for base in GatewayService.__mro__:
        for name in vars(base):
            if name in _entrypoints(base) or (name in owners and not name.startswith("__")):
                owners.setdefault(name, []).append(base.__name__)
    clashes = {name: classes for name, classes in owners.items() if len(classes) > 1}
    assert not clashes, f"handlers defined in several mixins: {clashes}"


def test_page_handlers_follow_the_naming_convention_and_paths_are_unique():
    specs = pages_of(GatewayService)
    assert specs, "no page found"
    for spec in specs:
        assert spec.name.endswith("_page"), f"{spec.name}: page handlers end in _page"
    keys = [(spec.method, spec.rule) for spec in specs]
    assert len(keys) == len(set(keys)), "two pages answer the same method and path"

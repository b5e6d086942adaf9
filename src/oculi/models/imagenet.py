"""ImageNet-1k class names, from the table timm ships (no download).

    >>> imagenet_classes()[281]
    'tabby'
    >>> imagenet_classes(detailed=True)[967]
    'espresso'
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=2)
def _names(detailed: bool) -> tuple[str, ...]:
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    out = []
    for i in range(info.num_classes()):
        desc = info.index_to_description(i)
        out.append(desc if detailed else desc.split(",")[0].strip())
    return tuple(out)


def imagenet_classes(detailed: bool = False) -> list[str]:
    """The 1000 ImageNet-1k class names in index order.

    Args:
        detailed: the full WordNet description ("tabby, tabby cat") instead of its first name.
    """
    return list(_names(detailed))


def imagenet_synsets() -> list[str]:
    """The 1000 WordNet ids (``n01440764``, ...) in index order."""
    from timm.data import ImageNetInfo

    info = ImageNetInfo()
    return [info.index_to_label_name(i) for i in range(info.num_classes())]

"""The tie network: CSR storage, generators, the SNAP edge-list loader, structure metrics."""

from scsim.world.network.csr import (
    CODE_MASK,
    INACTIVE,
    SEVERED,
    SUSPENDED,
    TIE_BITS,
    TIE_FAMILY,
    TIE_SOCIAL,
    TIE_TYPE_NAMES,
    TIE_WORK,
    TYPE_MASK,
    Network,
    build_csr,
    codes_of,
    neighbours_of,
    pack,
)
from scsim.world.network.edgelist import count_nodes_hint, load_edgelist
from scsim.world.network.generators import NETWORK_KINDS, generate_network
from scsim.world.network.structure import largest_component_fraction, score_assortativity

__all__ = [
    "CODE_MASK",
    "INACTIVE",
    "NETWORK_KINDS",
    "SEVERED",
    "SUSPENDED",
    "TIE_BITS",
    "TIE_FAMILY",
    "TIE_SOCIAL",
    "TIE_TYPE_NAMES",
    "TIE_WORK",
    "TYPE_MASK",
    "Network",
    "build_csr",
    "codes_of",
    "count_nodes_hint",
    "generate_network",
    "largest_component_fraction",
    "load_edgelist",
    "neighbours_of",
    "pack",
    "score_assortativity",
]

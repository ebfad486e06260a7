"""The run store: every run kept with what produced it, and a DuckDB catalogue over them
(see ``scsim.store.runstore``)."""

from scsim.store.runstore import (
    DEFAULT_STORE,
    Compared,
    RunRecord,
    RunStore,
    Tag,
    default_store_path,
    new_run_id,
    open_store,
    store_of,
)

__all__ = ["DEFAULT_STORE", "Compared", "RunRecord", "RunStore", "Tag", "default_store_path",
           "new_run_id", "open_store", "store_of"]

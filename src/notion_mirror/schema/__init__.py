"""See and change a data source's schema safely, and follow its drift.

* :mod:`notion_mirror.schema.drift` — how files written under an older schema
  are read under the current one (renames followed by id, invalid values held
  back per property).
* :mod:`notion_mirror.schema.edit` — the guarded schema commands
  (``schema show``, ``add-property``, ``rename-property``, ``add-option``,
  ``set-title``, ``set-description``).
"""

from notion_mirror.schema.drift import SchemaDrift, drift_of

__all__ = ["SchemaDrift", "drift_of"]

"""Undoable edits of the model, as plain objects (ui/ wraps them in a QUndoStack).

Each command holds what it needs to go both ways (the asset before and after), so
``redo(); undo()`` leaves the model exactly as it was. Commands never touch Qt.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from twinscape.model.placed import PlacedAsset, PlacedAssetsLayer


@dataclass
class PlaceAsset:
    """Add ``asset`` to ``layer`` (undo removes it)."""

    layer: PlacedAssetsLayer
    asset: PlacedAsset
    index: int | None = None

    @property
    def text(self) -> str:
        """Shown in Edit > Undo."""
        return f"Place {self.layer.entry_of(self.asset)}"

    def redo(self) -> None:
        """Place the asset."""
        self.layer.insert(self.asset, self.index)

    def undo(self) -> None:
        """Remove it again."""
        self.layer.remove(self.asset.id)


@dataclass
class DeleteAsset:
    """Remove the asset with ``asset_id`` (undo puts it back where it was)."""

    layer: PlacedAssetsLayer
    asset_id: str
    _removed: tuple[int, PlacedAsset] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._title = self.layer.entry_of(self.layer.asset(self.asset_id))

    @property
    def text(self) -> str:
        """Shown in Edit > Undo."""
        return f"Delete {self._title}"

    def redo(self) -> None:
        """Remove the asset, remembering where it was."""
        self._removed = self.layer.remove(self.asset_id)

    def undo(self) -> None:
        """Put the asset back at its old position."""
        assert self._removed is not None, "undo before redo"
        index, asset = self._removed
        self.layer.insert(asset, index)


@dataclass
class EditAsset:
    """Replace an asset by an edited version of it (moved, rotated, a vertex changed)."""

    layer: PlacedAssetsLayer
    before: PlacedAsset
    after: PlacedAsset
    label: str = "Edit"

    def __post_init__(self) -> None:
        if self.before.id != self.after.id:
            raise ValueError("an edit keeps the asset's id")

    @property
    def text(self) -> str:
        """Shown in Edit > Undo ("Move Wind turbine")."""
        return f"{self.label} {self.layer.entry_of(self.after)}"

    def redo(self) -> None:
        """Apply the edit."""
        self.layer.replace_asset(self.after)

    def undo(self) -> None:
        """Restore the asset as it was."""
        self.layer.replace_asset(self.before)

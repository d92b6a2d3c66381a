"""Model -> VTK: terrain tiles and level of detail, scene, off-screen rendering.

Imports VTK/PyVista, never Qt. Import the submodules directly
(``twinscape.render.scene``); this package imports nothing heavy by itself.
"""

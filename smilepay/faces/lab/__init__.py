"""The face engine's research tools: datasets, calibration, reports, smile training.

Nothing here is imported when the engine runs (``import smilepay.faces`` never loads this
package); it measures and tunes the engine on the shared face data. Every tool uses the
same identity split (``split.half_of``) and the same folder walker
(``dataset.identity_images``), so no tool tunes on another tool's evaluation half.

Commands: ``python -m smilepay.faces calibrate|evaluate ...`` (docs/faces.md) and
``python -m smilepay.faces.lab.train_smile``.
"""

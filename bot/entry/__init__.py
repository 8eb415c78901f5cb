"""The composition root: settings, wiring, the CLI and the long-running service; the only
package that imports adapters/."""

"""``oculi ui``: the local web app (Gradio), bound to 127.0.0.1 unless ``--allow-remote``."""

from __future__ import annotations

from pathlib import Path

import typer


def ui(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(7860, "--port", help="TCP port (0: any free port)."),
    work_dir: Path = typer.Option(
        None, "--work-dir",
        help="Folder for example inputs, uploads and results; the only folder the app serves "
        "files from (default: ~/.cache/oculi/ui).",
    ),
    allow_remote: bool = typer.Option(
        False, "--allow-remote",
        help="Allow a non-loopback --host (anyone who reaches it can run oculi on this machine).",
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
) -> None:
    """Serve the oculi web app: a tab per topic, example inputs, results to download. Offline."""
    from oculi.core.checks import check_in_range
    from oculi.core.errors import MissingDependencyError, ParameterError
    from oculi.ui.app import LOOPBACK

    check_in_range(port, "--port", 0, 65535)
    if host not in LOOPBACK and not allow_remote:
        raise ParameterError(
            f"--host {host}: not a loopback address; the app runs code on this machine for "
            "whoever reaches it — add --allow-remote if that is what you want"
        )
    try:
        import gradio  # noqa: F401
    except ImportError as exc:
        raise MissingDependencyError(
            f"oculi ui needs gradio ({exc.name or 'gradio'} is not installed): "
            "install oculi[ui] (pip install 'oculi[ui]')"
        ) from exc
    from oculi.ui import serve

    typer.echo(f"oculi ui on http://{host}:{port or '<free port>'}  (Ctrl+C to stop)")
    serve(host=host, port=port, work_dir=work_dir, open_browser=open_browser)

import subprocess
import sys

from typer.testing import CliRunner

from oculi.cli import main as cli_main
from oculi.cli._common import topic_app

runner = CliRunner()


def test_every_topic_in_the_list_is_installed():
    res = runner.invoke(cli_main.app, ["--help"])
    for name, *_ in cli_main.TOPICS:
        assert name in res.output


def test_default_command_group_dispatches():
    import typer

    app = topic_app("demo", default_command=True)

    @app.command("default", hidden=True)
    def default(images: list[str]) -> None:
        typer.echo(f"default {images}")

    @app.command("eval")
    def evaluate(images: list[str]) -> None:
        typer.echo(f"eval {images}")

    assert runner.invoke(app, ["a.png", "b.png"]).output.strip() == "default ['a.png', 'b.png']"
    assert runner.invoke(app, ["eval", "a.png"]).output.strip() == "eval ['a.png']"


def test_cli_help_is_fast_and_imports_no_torch():
    code = "import sys; import oculi.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

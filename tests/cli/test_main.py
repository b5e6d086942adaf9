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


def _default_groups():
    """(topic, click group) for every topic built with ``topic_app(..., default_command=True)``."""
    import importlib

    from typer.main import get_group

    from oculi.cli._common import DefaultCommandGroup

    for name, module, attr, kind in cli_main.TOPICS:
        if kind != "app":
            continue
        app = getattr(importlib.import_module(module), attr)
        if isinstance(app.info.cls, type) and issubclass(app.info.cls, DefaultCommandGroup):
            yield name, get_group(app)


def test_topic_help_shows_the_default_command_usage_and_options():
    groups = dict(_default_groups())
    assert {"explain", "detect", "ocr", "segment"} <= set(groups)
    for name, group in groups.items():
        res = runner.invoke(cli_main.app, [name, "--help"])
        assert res.exit_code == 0, res.output
        assert f"Usage: oculi {name} [OPTIONS] " in res.output
        assert "COMMAND [ARGS]" not in res.output
        default = group.commands[group.default_command]
        for param in default.params:
            if param.param_type_name == "option":
                assert max(param.opts, key=len) in res.output, (name, param.opts)
        for sub, cmd in group.commands.items():
            if not cmd.hidden:
                assert sub in res.output


def test_explain_and_detect_help_name_the_default_options():
    res = runner.invoke(cli_main.app, ["explain", "--help"])
    assert res.exit_code == 0
    assert "Usage: oculi explain [OPTIONS]" in res.output
    for opt in ("--model", "--method", "--target", "--layer", "--json"):
        assert opt in res.output
    assert "eval" in res.output and "Faithfulness" in res.output  # the other command, listed
    res = runner.invoke(cli_main.app, ["detect", "--help"])
    assert res.exit_code == 0
    assert "Usage: oculi detect [OPTIONS]" in res.output
    assert "--model" in res.output and "--score" in res.output and "list" in res.output


def test_default_command_group_help_without_rich():
    import typer

    from oculi.cli._common import DefaultCommandGroup

    app = typer.Typer(cls=DefaultCommandGroup, rich_markup_mode=None, help="Demo group.")

    @app.command("default", hidden=True)
    def default(images: list[str], model: str = typer.Option("m", "--model", help="Model.")):
        """Run the demo."""

    @app.command("eval")
    def evaluate(images: list[str]) -> None:
        """Evaluate the demo."""

    out = runner.invoke(app, ["--help"], prog_name="demo").output
    assert out.startswith("Usage: demo [OPTIONS] ")
    assert "Demo group." in out and "Run the demo." in out
    assert "--model" in out and "Evaluate the demo." in out


def test_report_failures_lists_then_exits_2():
    import typer

    from oculi.cli._common import report_failures

    app = typer.Typer()

    @app.command()
    def batch(fail: bool = False) -> None:
        typer.echo("processed")
        report_failures({"b.png": "unreadable", "c.png": "empty"} if fail else {}, what="image")

    res = runner.invoke(app, [])
    assert res.exit_code == 0 and "failed" not in res.output
    res = runner.invoke(app, ["--fail"])
    assert res.exit_code == 2
    assert res.output.index("processed") < res.output.index("2 image(s) failed:")
    assert "  b.png: unreadable" in res.output and "  c.png: empty" in res.output


def test_help_lists_choices_from_the_registries():
    from oculi.explain import methods as explain_methods
    from oculi.features import feature_methods
    from oculi.flow import methods as flow_methods
    from oculi.preprocess.dicom import WINDOW_PRESETS

    for argv, registry in [(["explain", "--help"], explain_methods),
                           (["explain", "eval", "--help"], explain_methods),
                           (["features", "detect", "--help"], feature_methods),
                           (["flow", "compute", "--help"], flow_methods),
                           (["dicom", "convert", "--help"], WINDOW_PRESETS)]:
        res = runner.invoke(cli_main.app, argv)
        assert res.exit_code == 0, res.output
        assert "{names:" not in res.output
        text = " ".join(res.output.replace("│", " ").split())  # undo rich's wrapping
        for name in registry.names():
            assert name in text, (argv, name)


def test_names_of_follows_one_registration():
    import typer

    from oculi.cli._common import names_of
    from oculi.core.registry import Registry

    global _DEMO_REGISTRY
    _DEMO_REGISTRY = Registry("demo")
    _DEMO_REGISTRY.register("alpha", object())
    app = topic_app("demo")

    @app.command("run")
    def run(kind: str = typer.Option(
            "alpha", help=f"One of {names_of(__name__ + ':_DEMO_REGISTRY')}.")) -> None:
        typer.echo(kind)

    @app.command("other")
    def other() -> None:
        pass

    assert "One of alpha." in runner.invoke(app, ["run", "--help"]).output
    _DEMO_REGISTRY.register("beta", object())
    assert "One of alpha, beta." in runner.invoke(app, ["run", "--help"]).output
    assert runner.invoke(app, ["run", "--kind", "beta"]).output.strip() == "beta"


_DEMO_REGISTRY = None


def test_cli_help_is_fast_and_imports_no_torch():
    code = "import sys; import oculi.cli.main; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"

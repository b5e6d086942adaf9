"""oculi.generate.generators: each entry is the task's sample function itself (imported when
called, through the registry's own lazy factory), not a reference string to resolve."""

from __future__ import annotations

import subprocess
import sys

import pytest

from oculi.generate.sample import generators


@pytest.mark.parametrize("name", ["gan", "vae"])
def test_each_generator_is_callable_and_says_what_it_loads(name):
    fn = generators.get(name)
    assert callable(fn)
    assert fn.__name__ == "sample"


def test_importing_the_registry_imports_no_sampler_module():
    code = ("import sys, oculi.generate.sample as s; assert 'gan' in s.generators; "
            "print(sorted(m for m in sys.modules if m in "
            "('oculi.generate.gan_sample', 'oculi.generate.ae_task')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

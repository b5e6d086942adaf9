"""The alias table, model creation, heads at any input size."""

from __future__ import annotations

import pytest
import torch

from oculi.core.errors import MissingDependencyError, ParameterError, UnknownNameError
from oculi.models import create_model, input_spec, list_models, models, resolve
from oculi.models._zoo import ZOO

# a sample of the table, one per family, cheap at 64-96 px (the full sweep is marked slow)
SAMPLED = ["resnet18", "squeezenet1_1", "shufflenet_v2", "mobilenet_v2", "squeezenext"]


@pytest.mark.parametrize(
    ("alias", "lib_name"),
    [("SE-ResNeXt50 (32x4d)", "legacy_seresnext50_32x4d"), ("ResNet-18", "resnet18"),
     ("Inception v3", "inception_v3"), ("NASNet-A-Large", "nasnetalarge"),
     ("PNASNet-5-Large", "pnasnet5large"), ("SENet-154", "legacy_senet154"),
     ("Noisy Student EfficientNet-B0", "tf_efficientnet_b0"), ("Xception", "legacy_xception"),
     ("DenseNet-201", "densenet201"), ("resnext101_32x4d", "resnext101_32x4d"),
     ("SqueezeNext", "squeezenext_23"), ("ShuffleNet v2 (1.0x)", "shufflenet_v2_x1_0")],
)
def test_common_names_resolve(alias: str, lib_name: str) -> None:
    assert resolve(alias).lib_name == lib_name


def test_noisy_student_uses_its_own_weights_tag() -> None:
    assert resolve("Noisy Student EfficientNet-B7").tag == "ns_jft_in1k"
    assert resolve("EfficientNet-B7").tag == "aa_in1k"


def test_every_table_row_is_registered_under_its_common_name() -> None:
    assert len(models) == len(ZOO)
    for e in ZOO:
        assert resolve(e.common_name) is e


@pytest.mark.parametrize("name", ["PolyNet", "AmoebaNet", "NASNet-A-Mobile", "ShuffleNet"])
def test_unavailable_names_raise_clearly(name: str) -> None:
    with pytest.raises(MissingDependencyError, match="unavailable"):
        create_model(name)
    assert next(r for r in list_models() if r.common_name == name).weights_offline == "unavailable"


def test_model_row_has_the_common_name() -> None:
    row = list_models("resnet18")[0]
    assert row.common_name == "ResNet-18" and row.as_dict()["common_name"] == "ResNet-18"
    assert "notes_name" not in row.as_dict()


def test_unknown_name_lists_close_matches() -> None:
    with pytest.raises(UnknownNameError, match="resnet18"):
        create_model("resnet-81")


def _check_params(entries: list) -> None:
    import timm
    import torchvision

    from oculi.models.squeezenext import SqueezeNext

    for e in entries:
        with torch.device("meta"):
            if e.library == "timm":
                m = timm.create_model(e.lib_name)
            elif e.library == "torchvision":
                m = torchvision.models.get_model(e.lib_name)
            else:
                m = SqueezeNext()
        n = sum(p.numel() for p in m.parameters()) / 1e6
        assert n == pytest.approx(e.params_m, abs=0.006), e.key


def test_table_parameter_counts_sampled() -> None:
    _check_params([resolve(n) for n in [*SAMPLED, "efficientnet_lite0", "se_resnext50_32x4d",
                                        "dpn68", "densenet121"]])


@pytest.mark.slow
def test_table_parameter_counts_match_the_libraries() -> None:
    _check_params([e for e in ZOO if e.library is not None])


def _sweep(names: list[str], size: int) -> None:
    for name in names:
        model = create_model(name, num_classes=3)
        with torch.no_grad():
            out = model(torch.rand(2, 3, size, size))
        assert out.shape == (2, 3), name
        assert torch.isfinite(out).all(), name


def test_sampled_alias_sweep_forward() -> None:
    _sweep(SAMPLED, 64)


@pytest.mark.slow
def test_full_alias_sweep_forward() -> None:
    names = [e.key for e in ZOO if e.library is not None and e.key != "noisy_student_l2"]
    big = {"inception_v3", "inception_v4", "inception_resnet_v2", "xception", "nasnet_a_large",
           "pnasnet5_large"}
    _sweep([n for n in names if n not in big], 64)
    _sweep(sorted(big), 160)


@pytest.mark.parametrize(("name", "head"), [("resnet18", "linear"), ("resnet18", "conv"),
                                            ("efficientnet_lite0", "conv")])
def test_heads_accept_160_and_288_pixels(name: str, head: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=4, head=head)
    with torch.no_grad():
        for size in (160, 288):
            x = torch.rand(2, 3, size, size)
            out = model(x)
            assert out.shape == (2, 4)
            feats = model.forward_features(x)
            if head == "conv":  # the notes' option 2: conv 3x3 per location, then the mean
                ref = torch.nn.functional.conv2d(feats, model.head.conv.weight,
                                                 model.head.conv.bias, padding=1).mean((2, 3))
            else:  # option 1: the mean, then Linear
                fc = model.body.get_classifier()
                ref = fc(feats.mean((2, 3)))
            torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-5)


def test_head_choice_and_classes_are_validated() -> None:
    with pytest.raises(ParameterError, match="head"):
        create_model("resnet18", head="mlp")
    with pytest.raises(ParameterError, match="num_classes"):
        create_model("resnet18", num_classes=0)


def test_input_specs_follow_the_weights() -> None:
    lite = input_spec("efficientnet_lite0")
    assert lite.mean == (0.5, 0.5, 0.5) and lite.std == (0.5, 0.5, 0.5)
    r18 = input_spec("ResNet-18")
    assert r18.mean == pytest.approx((0.485, 0.456, 0.406))
    assert r18.size == (224, 224) and r18.interpolation == "bilinear"
    assert input_spec("Inception v3").size == (299, 299)
    # the model normalises internally with its spec
    model = create_model("resnet18")
    torch.testing.assert_close(model.normalize.mean.flatten(), torch.tensor(r18.mean))


def test_listing_reports_offline_weights() -> None:
    rows = {r.name: r for r in list_models()}
    assert rows["efficientnet_lite0"].weights_offline == "package"
    assert rows["squeezenext"].top1 == pytest.approx(59.05)
    assert rows["resnet50"].params_m == pytest.approx(25.56)

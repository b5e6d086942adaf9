"""Activity recognition: clip data sets, samplers, group splits and the motion-history baseline.

Clips are video files, frame folders or ``.npz`` arrays, indexed by :func:`clip_dataset` (a
folder per class, or a CSV ``file,label[,group]``) without decoding them; samplers pick frame
indices (TSN segments, dense windows, multi-clip test); :func:`leave_one_group_out` splits by
actor. :class:`MotionHistoryClassifier` is the classical baseline (MEI/MHI Hu moments + k-NN or
SVM). ``import oculi.action`` imports no torch.
"""

from oculi.action.clips import (
    NPZ_KEYS,
    VIDEO_SUFFIXES,
    BadClip,
    ClipDataset,
    ClipItem,
    clip_dataset,
    clip_frames,
    from_csv,
    from_folder,
    load_clip,
    read_clips,
)
from oculi.action.evaluate import classification_scores, leave_group_out_scores
from oculi.action.motion import (
    MotionHistoryClassifier,
    hu_moments,
    motion_energy,
    motion_history,
    motion_masks,
)
from oculi.action.sampling import DenseClip, MultiClip, MultiSegments, UniformSegments
from oculi.action.splits import Fold, group_split, leave_one_group_out

__all__ = [
    "NPZ_KEYS",
    "VIDEO_SUFFIXES",
    "BadClip",
    "ClipDataset",
    "ClipItem",
    "DenseClip",
    "Fold",
    "MotionHistoryClassifier",
    "MultiClip",
    "MultiSegments",
    "UniformSegments",
    "classification_scores",
    "clip_dataset",
    "clip_frames",
    "from_csv",
    "from_folder",
    "group_split",
    "hu_moments",
    "leave_group_out_scores",
    "leave_one_group_out",
    "load_clip",
    "motion_energy",
    "motion_history",
    "motion_masks",
    "read_clips",
]

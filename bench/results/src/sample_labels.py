# Hand-written labels for the bundled sample (papers-page.txt).
# Each entry: paper index (1-based), fields; 'anchor' (optional) = a substring that locates the sentence
# (defaults to value_text). The build script copies the full sentence verbatim from the abstract.
R = []
def L(idx, value_text, value, unit, metric, kind, own, dataset=None, task=None, condition=None,
      baseline=None, qualifier=None, anchor=None, numeral="digits", range_part=None, note=None):
    R.append(dict(paper_index=idx, value_text=value_text, value=value, unit=unit, metric=metric, kind=kind,
                  own=own, dataset=dataset, task=task, condition=condition, baseline=baseline,
                  qualifier=qualifier, anchor=anchor, numeral=numeral, range_part=range_part, note=note))

# [1] Efficient Architecture Search by Network Transformation
L(1, "5", "5", "GPUs", "computational resources (GPUs)", "setting", True, dataset="CIFAR-10, SVHN",
  task="architecture search", anchor="(5 GPUs)", condition="restricted computational resources")
L(1, "4.23\\%", "4.23", "%", "test error rate", "result", True, dataset="CIFAR-10", task="image classification",
  condition="model without skip-connections")

# [3] STU-Net
L(3, "14 million", "14", "M params", "parameter size", "model_size", True, task="medical image segmentation",
  anchor="from 14 million to 1.4 billion", range_part="low", condition="STU-Net model series, smallest")
L(3, "1.4 billion", "1.4", "B params", "parameter size", "model_size", True, task="medical image segmentation",
  anchor="from 14 million to 1.4 billion", range_part="high", condition="STU-Net model series, largest")
L(3, "1.4B", "1.4", "B params", "parameter size", "model_size", True, task="medical image segmentation",
  anchor="the 1.4B STU-Net", note="size used as a modifier of the model name; still a size, not a version number")
L(3, "14", "14", None, "number of downstream datasets", "count", True, anchor="14 downstream datasets",
  condition="direct inference")
L(3, "3", "3", None, "number of datasets", "count", True, anchor="3 datasets for further fine-tuning",
  condition="fine-tuning")

# [5] LightHuBERT
L(5, "10^9", "10^9", "architectures", "number of architectures (search space)", "count", True,
  dataset="SUPERB", qualifier="over", anchor="over 10^9 architectures")
L(5, "29%", "29", "%", "parameter reduction", "improvement", True, dataset="SUPERB",
  baseline="teacher model (HuBERT)", condition="comparable performance to the teacher model in most tasks")
L(5, "3.5times", "3.5", "×", "compression ratio", "improvement", True, dataset="SUPERB",
  task="automatic speaker verification, keyword spotting, intent classification",
  baseline="original HuBERT", condition="three SUPERB tasks, slight accuracy loss")

# [9] SPIdepth
for vt, m in [("0.029", "AbsRel"), ("0.069", "SqRel"), ("1.394", "RMSE")]:
    L(9, vt, vt, None, m, "result", True, dataset="KITTI", task="self-supervised monocular depth estimation",
      anchor="(%s)" % vt)
for vt, m in [("21.7%", "AbsRel"), ("36.8%", "SqRel"), ("16.5%", "RMSE")]:
    L(9, vt, vt[:-1], "%", m, "improvement", True, dataset="Cityscapes",
      task="self-supervised monocular depth estimation", baseline="SQLdepth",
      condition="without using motion masks")

# [15] FastDepth
L(15, "an order of magnitude", "1", "orders of magnitude", "inference speed", "improvement", True,
  task="monocular depth estimation", baseline="prior work", condition="similar accuracy", numeral="word")
L(15, "178", "178", "fps", "inference speed (throughput)", "result", True, task="monocular depth estimation",
  condition="NVIDIA Jetson TX2 GPU", anchor="178 fps")
L(15, "27", "27", "fps", "inference speed (throughput)", "result", True, task="monocular depth estimation",
  condition="TX2 CPU only", anchor="27 fps")
L(15, "10", "10", "W", "active power consumption", "result", True, task="monocular depth estimation",
  qualifier="under", condition="NVIDIA Jetson TX2", anchor="under 10 W")

# [18] TinyNets
L(18, "59.9%", "59.9", "%", "Top-1 accuracy", "result", True, dataset="ImageNet", task="image classification",
  condition="TinyNet-E, 24M FLOPs")
L(18, "24M", "24", "M FLOPs", "FLOPs", "model_size", True, dataset="ImageNet", condition="TinyNet-E")
L(18, "1.9%", "1.9", "%", "Top-1 accuracy", "improvement", True, dataset="ImageNet", task="image classification",
  baseline="MobileNetV3 (previous best)", qualifier="about", condition="TinyNet-E, similar computational cost")

# [23] CBNet
for vt, m, own, cond, base in [
    ("59.4%", "box AP", True, "Dual-Swin-L, single-model and single-scale testing", None),
    ("51.6%", "mask AP", True, "Dual-Swin-L, single-model and single-scale testing", None),
    ("57.7%", "box AP", False, "Swin-L (previous state of the art), single-model and single-scale testing", None),
    ("50.2%", "mask AP", False, "Swin-L (previous state of the art), single-model and single-scale testing", None)]:
    L(23, vt, vt[:-1], "%", m, "result", own, dataset="COCO test-dev", task="object detection / instance segmentation",
      condition=cond)
L(23, "6times", "6", "×", "training schedule reduction", "improvement", True, dataset="COCO test-dev",
  baseline="Swin-L", condition="Dual-Swin-L")
for vt, m in [("60.1%", "box AP"), ("52.3%", "mask AP")]:
    L(23, vt, vt[:-1], "%", m, "result", True, task="object detection / instance segmentation",
      condition="multi-scale testing, single model, no extra training data",
      note="dataset not restated in the sentence (COCO test-dev from the previous sentence)")

# [25] PrimeDepth
L(25, "two orders of magnitude", "2", "orders of magnitude", "speed", "improvement", True,
  task="zero-shot monocular depth estimation", baseline="Marigold", numeral="word")
L(25, "20 times", "20", "×", "labelled training data required", "improvement", False,
  task="zero-shot monocular depth estimation", baseline="PrimeDepth",
  condition="Depth Anything requires 20x more labelled data than PrimeDepth",
  note="value attributed to Depth Anything (other method), hence own=false")

# [27] SMITH
L(27, "2048", "2048", "tokens", "maximum input text length", "result", True, task="long-form document matching",
  note="unit 'tokens' taken from the title ('Beyond 512 Tokens'); the sentence gives no unit")
L(27, "512", "512", "tokens", "maximum input text length", "result", False, task="long-form document matching",
  condition="BERT based baselines", anchor="from 512 to 2048")

# [28] Once-for-All
L(28, "5", "5", "cars' lifetime", "CO2 emission", "result", False,
  condition="conventional NAS / manual design, training from scratch per case", anchor="5 cars' lifetime",
  qualifier="as much as")
L(28, "10^{19}", "10^19", "sub-networks", "number of sub-networks", "count", True, qualifier=">")
L(28, "4.0%", "4.0", "%", "ImageNet top1 accuracy", "improvement", True, dataset="ImageNet", task="image classification",
  baseline="MobileNetV3", qualifier="up to", condition="diverse edge devices")
L(28, "1.5x", "1.5", "×", "speed (measured latency)", "improvement", True, dataset="ImageNet",
  baseline="MobileNetV3", condition="same accuracy")
L(28, "2.6x", "2.6", "×", "speed (measured latency)", "improvement", True, dataset="ImageNet",
  baseline="EfficientNet", condition="same accuracy")
L(28, "80.0%", "80.0", "%", "ImageNet top-1 accuracy", "result", True, dataset="ImageNet", task="image classification",
  condition="mobile setting (<600M MACs)")
L(28, "600M", "600", "M MACs", "MACs budget", "setting", True, dataset="ImageNet", qualifier="<",
  condition="mobile setting")
L(28, "50", "50", "models", "number of released pre-trained models", "count", True, anchor="50 pre-trained models")

# [29] MobileMamba
L(29, "83.6%", "83.6", "%", "Top-1", "result", True, qualifier="up to", task="image classification",
  note="dataset not named in the abstract")
L(29, "x21", "21", "×", "speed", "improvement", True, baseline="LocalVim", condition="GPU", qualifier="maximum")

# [30] PatchFusion
L(30, "17.3%", "17.3", "%", "RMSE", "improvement", True, dataset="UnrealStereo4K",
  task="high-resolution monocular metric depth estimation", baseline="ZoeDepth", condition="PatchFusion built on ZoeDepth")
L(30, "29.4%", "29.4", "%", "RMSE", "improvement", True, dataset="MVS-Synth",
  task="high-resolution monocular metric depth estimation", baseline="ZoeDepth", condition="PatchFusion built on ZoeDepth")

# [34] DSEE
L(34, "175B", "175", "B params", "parameter count", "model_size", False, condition="GPT-3")
L(34, "25%", "25", "%", "inference FLOPs saved", "improvement", True, condition="BERT, comparable performance",
  qualifier="about")
L(34, "0.5%", "0.5", "%", "trainable parameters", "model_size", True, condition="BERT")

# [35] Less is More
L(35, "59.5", "59.5", None, "mIoU", "result", True, dataset="SemanticKITTI",
  task="semi-supervised 3D point cloud semantic segmentation", condition="5% labelled data", anchor="(59.5@5%)")
L(35, "5%", "5", "%", "labelled data fraction", "setting", True, dataset="SemanticKITTI", anchor="(59.5@5%)")
L(35, "58.1", "58.1", None, "mIoU", "result", True, dataset="ScribbleKITTI",
  task="semi-supervised 3D point cloud semantic segmentation", condition="5% labelled data", anchor="(58.1@5%)")
L(35, "5%", "5", "%", "labelled data fraction", "setting", True, dataset="ScribbleKITTI", anchor="(58.1@5%)")
L(35, "2.3x", "2.3", "×", "model parameter reduction", "improvement", True, baseline="contemporary semi-supervised work")
L(35, "641x", "641", "×", "fewer multiply-add operations", "improvement", True, baseline="contemporary semi-supervised work")

# [37] Street View multi-digit recognition
L(37, "96%", "96", "%", "accuracy", "result", True, dataset="SVHN", task="recognizing complete street numbers",
  qualifier="over")
L(37, "97.84%", "97.84", "%", "accuracy", "result", True, dataset="SVHN", task="per-digit recognition",
  note="dataset SVHN carried from previous sentence")
L(37, "90%", "90", "%", "accuracy", "result", True,
  dataset="internal Street View dataset (tens of millions of street number annotations)",
  task="street number recognition", qualifier="over")
L(37, "99.8%", "99.8", "%", "accuracy", "result", True, dataset="reCAPTCHA",
  task="distorted text recognition", condition="hardest category")

# [39] AugLocal
L(39, "40%", "40", "%", "GPU memory usage reduction", "improvement", True,
  dataset="CIFAR-10, SVHN, STL-10, ImageNet", baseline="BP-trained networks", qualifier="around",
  condition="comparable accuracy to BP")

# [41] NetInfoF
L(41, "11", "11", "wins", "wins vs GNN baselines", "result", True, task="link prediction",
  dataset="real-world datasets", baseline="general GNN baselines", anchor="11 out of 12")
L(41, "12", "12", "comparisons", "number of comparisons", "count", True, task="link prediction",
  anchor="11 out of 12")

# [47] OPEN
L(47, "64.4%", "64.4", "%", "NDS", "result", True, dataset="nuScenes test", task="multi-view 3D object detection")
L(47, "56.7%", "56.7", "%", "mAP", "result", True, dataset="nuScenes test", task="multi-view 3D object detection")

# [52] FastRP
L(52, "4,000 times", "4,000", "×", "speed", "improvement", True, task="node embedding",
  baseline="DeepWalk and node2vec", qualifier="over", condition="comparable or better downstream performance")

# [53] Sheaf Neural Networks
for vt, ds in [("5.1%", "MovieLens 100K"), ("5.4%", "MovieLens 1M"), ("2.8%", "Book-Crossing")]:
    L(53, vt, vt[:-1], "%", "F1-Score@N", "improvement", True, dataset=ds, task="collaborative filtering",
      baseline="respective baselines",
      note="metric F1-Score@N inferred from previous sentence")
L(53, "1.6%", "1.6", "%", "Hits@20", "improvement", True, dataset="ogbl-ddi", task="link prediction",
  baseline="respective baselines", note="metric Hits@20 inferred from previous sentence")

# [55] Graphlets / GRADCO
L(55, "28", "28", "matrices", "number of orbit adjacency matrices computed", "count", True,
  anchor="all 28 orbit adjacency matrices")
L(55, "20,000", "20,000", "nodes", "network size", "sample_size", True, qualifier="around",
  condition="runtime test (GRADCO computes the 28 matrices in minutes)")
L(55, "28", "28", "matrices", "number of orbit adjacency matrices computed", "count", True,
  anchor="GRADCOcomputesthe28matricesinminutes",
  note="spaces are missing in the source text ('GRADCOcomputesthe28matricesinminutes')")

# [57] Simplicial closure
L(57, "19", "19", "datasets", "number of datasets studied", "count", True, anchor="19 datasets")

# [60] NAT
L(60, "1.2%", "1.2", "%", "transductive link prediction accuracy", "improvement", True,
  task="transductive link prediction", dataset="seven real-world large-scale temporal networks",
  baseline="all cutting-edge baselines", qualifier="averaged")
L(60, "4.2%", "4.2", "%", "inductive link prediction accuracy", "improvement", True,
  task="inductive link prediction", dataset="seven real-world large-scale temporal networks",
  baseline="all cutting-edge baselines", qualifier="averaged")
L(60, "4.1", "4.1", "×", "speed-up", "improvement", True, baseline="baselines that adopt joint structural features",
  anchor="4.1-76.7x", range_part="low")
L(60, "76.7x", "76.7", "×", "speed-up", "improvement", True, baseline="baselines that adopt joint structural features",
  anchor="4.1-76.7x", range_part="high")
L(60, "1.6", "1.6", "×", "speed-up", "improvement", True, baseline="baselines that cannot adopt joint structural features",
  anchor="1.6-4.0x", range_part="low")
L(60, "4.0x", "4.0", "×", "speed-up", "improvement", True, baseline="baselines that cannot adopt joint structural features",
  anchor="1.6-4.0x", range_part="high")

# [68] Generative knowledge extraction
L(68, "1,000", "1,000", "papers", "dataset size", "sample_size", True, anchor="1,000 scientific papers")

# [69] AMUD / ADPA
L(69, "14", "14", "datasets", "number of benchmark datasets", "count", True, anchor="14 benchmark datasets")
L(69, "3.96\\%", "3.96", "%", None, "improvement", True, dataset="14 benchmark datasets",
  task="semi-supervised node classification", baseline="baselines",
  note="metric not named ('significant margins of 3.96%')")

# [71] Visual feature complexity
L(71, "10,000", "10,000", "features", "number of features analysed", "sample_size", True, dataset="ImageNet",
  anchor="10,000 features", condition="features from a standard ImageNet-trained vision model")

"""Chinese text matching for Jiebang: segmentation, key terms, embedders, score fusion,
match explanations and evaluation metrics. Pure functions; no database, no search engine."""

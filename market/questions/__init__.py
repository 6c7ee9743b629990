"""Public Q&A (答疑) on published needs: providers ask, the enterprise or the bureau answers."""

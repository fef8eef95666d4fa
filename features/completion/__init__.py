"""The inline-completion pipeline: gate, prompt, post-process, cache, context hook."""

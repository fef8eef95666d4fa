"""server/completion"""

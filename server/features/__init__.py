"""server/features"""

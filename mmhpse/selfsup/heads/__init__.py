from .supcon_head import SupConHead, supcon_loss

__all__ = ['SupConHead', 'supcon_loss']

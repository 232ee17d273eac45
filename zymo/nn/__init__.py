"""Neural-network layers, recurrent cells and sequence layers, losses and initialisers."""

from .module import Module, named_parameters, parameters, testmode, trainmode

__all__ = ["Module", "parameters", "named_parameters", "trainmode", "testmode"]

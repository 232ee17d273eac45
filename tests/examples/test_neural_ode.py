"""examples/neural_ode.py: training through odeint's adjoint lowers the loss."""

import pathlib
import runpy

EXAMPLE = pathlib.Path(__file__).parents[2] / "examples" / "neural_ode.py"


def test_neural_ode_loss_falls():
    train = runpy.run_path(str(EXAMPLE))["train"]
    losses = train(steps=12)
    assert all(map(lambda x: x == x, losses))  # no NaN
    assert losses[-1] < 0.8 * losses[0], losses

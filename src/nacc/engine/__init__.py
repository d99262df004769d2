"""The one control loop shared by the live service and the simulator."""

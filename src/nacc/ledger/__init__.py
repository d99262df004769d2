"""Pure accounting: credit pricing and metering of usage into charges."""

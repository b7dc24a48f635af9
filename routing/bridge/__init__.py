"""The router's link to Asterisk: AMI events in, call control out."""

"""What several integration modules share. (Database fixtures live in tests/conftest.py.)"""

from __future__ import annotations

# Two first-line teams under one leader, plus sales ops: enough to tell "my rep" from "another
# manager's rep" and a leader's view from a manager's. Everyone but ops in New York.
ROSTER = """user_id,role,manager_id,name,team,timezone
UVP,manager,,Vera Vance,Leadership,America/New_York
UM1,manager,UVP,Maya Patel,East,America/New_York
UM2,manager,UVP,Omar Diaz,West,America/New_York
UR1,rep,UM1,Jordan Lee,East,America/New_York
UR2,rep,UM1,Sam Rivera,East,America/New_York
UR3,rep,UM2,Kim Chen,West,America/New_York
UOPS,sales_ops,,Olu Ops,Ops,Europe/London
"""

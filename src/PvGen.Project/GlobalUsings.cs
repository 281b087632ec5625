// The option table's sections under one name each, for every workflow (OptionTable.Scan is ScanOpts everywhere).
global using AnnotateOpts = PvGen.Project.Options.OptionTable.Annotate;
global using CheckOpts = PvGen.Project.Options.OptionTable.Check;
global using DiffOpts = PvGen.Project.Options.OptionTable.Diff;
global using GenerateOpts = PvGen.Project.Options.OptionTable.Generate;
global using ImportOpts = PvGen.Project.Options.OptionTable.Import;
global using InputOpts = PvGen.Project.Options.OptionTable.Input;
global using ProveOpts = PvGen.Project.Options.OptionTable.Prove;
global using ScanOpts = PvGen.Project.Options.OptionTable.Scan;

namespace MedHelm.Evaluation; internal static class Placeholder { }

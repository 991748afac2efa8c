namespace MedHelm.Storage; internal static class Placeholder { }

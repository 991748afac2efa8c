namespace MedHelm.Core; internal static class Placeholder { }

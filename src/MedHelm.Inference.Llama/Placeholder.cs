namespace MedHelm.Inference.Llama; internal static class Placeholder { }

Console.WriteLine("Orleans.Kafka silo: wiring lands with the foundation issue.");
